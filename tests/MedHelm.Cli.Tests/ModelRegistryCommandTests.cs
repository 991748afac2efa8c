using System.Text.Json;
using MedHelm.Application.Models;
using MedHelm.Application.Ports;
using MedHelm.Application.Runs;
using MedHelm.Cli.Tests.Support;
using MedHelm.Gguf.TestModels;
using MedHelm.Storage;

namespace MedHelm.Cli.Tests;

/// <summary><c>medhelm models add|list|remove</c> as processes over one home with its own models/manifest.json.</summary>
[Trait("Category", TestCategories.Slow)]
public sealed class ModelRegistryCommandTests
{
    [Fact]
    public async Task Files_are_added_by_manifest_hash_or_explicit_trust_refused_otherwise_listed_and_removed_when_no_run_uses_them()
    {
        using var home = new TempHome();
        var listed = Model(home, "listed.gguf", seed: 1);
        var unknown = Model(home, "unknown.gguf", seed: 2);
        var truncated = home.PathOf("truncated.gguf");
        await File.WriteAllBytesAsync(truncated, (await File.ReadAllBytesAsync(listed))[..700]);
        Directory.CreateDirectory(home.PathOf("models"));
        await File.WriteAllTextAsync(home.PathOf("models", "manifest.json"), JsonSerializer.Serialize(new
        {
            models = new[] { new { name = "listed-model", file = "listed.gguf", sha256 = ModelFiles.Sha256(listed), quantization = "F32", chatTemplate = "llama3", license = "test" } },
        }));

        var added = await CliProcess.RunAsync(["models", "add", listed], home.Folder);
        Assert.True(added.ExitCode == 0, added.ToString());
        Assert.Contains("model listed-model registered (hash listed in models/manifest.json)", added.StdOut, StringComparison.Ordinal);
        Assert.Contains("chat template  llama3", added.StdOut, StringComparison.Ordinal);

        var noHash = await CliProcess.RunAsync(["models", "add", unknown], home.Folder);
        Assert.Equal(1, noHash.ExitCode);
        Assert.Contains(unknown, Assert.Single(noHash.ErrorLines), StringComparison.Ordinal);
        Assert.Contains("--trust", noHash.StdErr, StringComparison.Ordinal);
        var wrongHash = await CliProcess.RunAsync(["models", "add", unknown, "--sha256", new string('0', 64), "--trust"], home.Folder);
        Assert.Equal(1, wrongHash.ExitCode);
        Assert.Contains("nothing was registered", wrongHash.StdErr, StringComparison.Ordinal);
        var hostile = await CliProcess.RunAsync(["models", "add", truncated, "--trust"], home.Folder);
        Assert.Equal(1, hostile.ExitCode);
        Assert.Contains($"{truncated} is not a usable GGUF model", Assert.Single(hostile.ErrorLines), StringComparison.Ordinal);

        var trusted = await CliProcess.RunAsync(["models", "add", unknown, "--trust", "--name", "mine"], home.Folder);
        Assert.True(trusted.ExitCode == 0, trusted.ToString());
        Assert.Contains("model mine registered (trusted without a hash check, audited)", trusted.StdOut, StringComparison.Ordinal);

        var list = await CliProcess.RunAsync(["models", "list"], home.Folder);
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Matches(@"listed-model\s+registered\s+manifest\s+llama\s", list.StdOut);
        Assert.Matches(@"mine\s+registered\s+trusted\s+llama\s", list.StdOut);
        Assert.DoesNotContain("truncated", list.StdOut, StringComparison.Ordinal);
        var json = JsonDocument.Parse((await CliProcess.RunAsync(["models", "list", "--json"], home.Folder)).StdOut).RootElement;
        Assert.Equal([("listed-model", "manifest", true), ("mine", "trusted", true)],
            json.EnumerateArray().Select(m => (m.GetProperty("name").GetString(), m.GetProperty("trust").GetString(), m.GetProperty("context_length").GetInt64() == 4096)));

        var database = home.PathOf("data", "medhelm.db");
        await using (var store = await SqliteResultStore.OpenAsync(database))
        {
            var registered = (await store.GetAuditAsync(null)).Where(e => e.Event == "model_registered").Select(e => JsonDocument.Parse(e.DetailJson).RootElement).ToArray();
            Assert.Equal([("listed-model", false), ("mine", true)], registered.Select(d => (d.GetProperty("name").GetString(), d.GetProperty("trust").GetBoolean())));
            Assert.All(registered, d => Assert.Equal("cli:" + Environment.UserName, d.GetProperty("by").GetString()));
            await store.Queue.EnqueueAsync("queued-run", new RunRequest(["medbullets"], null, [unknown], ["none"]), "operator");
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var busy = await CliProcess.RunAsync(["models", "remove", "mine"], home.Folder);
        Assert.Equal(1, busy.ExitCode);
        Assert.Contains("used by the queued or running run(s) queued-run", busy.StdErr, StringComparison.Ordinal);
        await using (var store = await SqliteResultStore.OpenAsync(database))
        {
            Assert.True(await store.Queue.TransitionAsync("queued-run", QueueState.Queued, QueueState.Cancelled));
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var removed = await CliProcess.RunAsync(["models", "remove", "mine"], home.Folder);
        Assert.True(removed.ExitCode == 0, removed.ToString());
        Assert.Contains("model mine removed from the registry (the file was not touched)", removed.StdOut, StringComparison.Ordinal);
        Assert.True(File.Exists(unknown));
        Assert.DoesNotContain("mine", (await CliProcess.RunAsync(["models", "list"], home.Folder)).StdOut, StringComparison.Ordinal);
        var again = await CliProcess.RunAsync(["models", "remove", "mine"], home.Folder);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("No registered model is named 'mine'", again.StdErr, StringComparison.Ordinal);
        var audit = await CliProcess.RunAsync(["audit", "verify"], home.Folder);
        Assert.True(audit.ExitCode == 0, audit.ToString());
    }

    private static string Model(TempHome home, string fileName, long seed)
    {
        var path = home.PathOf(fileName);
        TestModelFactory.Write(new TestModelSpec { Layers = 1, Embd = 32, Seed = seed }, path);
        return path;
    }
}
