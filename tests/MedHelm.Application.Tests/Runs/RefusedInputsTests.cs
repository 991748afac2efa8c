using System.Security.Cryptography;
using System.Text;
using MedHelm.Application.Errors;
using MedHelm.Application.Hosting;
using MedHelm.Application.Models;
using MedHelm.Application.Options;
using MedHelm.Application.Runs;
using MedHelm.Application.Tests.Support;
using MedHelm.Evaluation.Running;
using MedHelm.Gguf.TestModels;
using MedHelm.Inference.Llama.Runtime;
using Microsoft.Extensions.Logging.Abstractions;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace MedHelm.Application.Tests.Runs;

/// <summary>
/// Inputs a run takes besides its datasets (issue 16): an EHRSQL database that is not SQLite, and a BERTScore model that
/// is not an encoder, are refused with the reason before any instance is generated, and the file is left as it was.
/// </summary>
public sealed class RefusedInputsTests
{
    public static TheoryData<string> NotSqlite => new() { "text", "empty", "gguf", "header-then-garbage", "sqlite-header-only" };

    [Theory]
    [MemberData(nameof(NotSqlite))]
    public async Task An_EHRSQL_database_that_is_not_SQLite_is_refused_before_the_run_and_left_untouched(string kind)
    {
        using var folder = new TempFolder();
        var database = folder.PathOf("eicu.sqlite");
        byte[] bytes = kind switch
        {
            "text" => Encoding.UTF8.GetBytes("patientunitstayid,age\n1,54\n"),
            "empty" => [],
            "gguf" => [.. "GGUF"u8, 3, 0, 0, 0, .. new byte[60]],
            "header-then-garbage" => [.. "SQLite format 3\0"u8, .. Enumerable.Range(0, 8192).Select(i => (byte)(i * 31))],
            _ => [.. "SQLite format 3\0"u8],
        };
        await File.WriteAllBytesAsync(database, bytes);
        var before = SHA256.HashData(bytes);
        await using var harness = new RunHarness(ehrSql: new EhrSqlDatabaseOptions { Database = database });
        var model = harness.Model("m");

        var e = await Assert.ThrowsAsync<RequestValidationException>(() =>
            harness.RunAsync(new RunRequest(["ehr_sql"], null, [model], ["none"], 2, "ehr", Samples: true)));

        Assert.StartsWith("EhrSql:Database: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(database, e.Message, StringComparison.Ordinal);
        Assert.Contains("left untouched", e.Message, StringComparison.Ordinal);
        Assert.Empty(harness.Loader.Leases); // refused before the model was asked for anything
        Assert.Equal(before, SHA256.HashData(await File.ReadAllBytesAsync(database)));
        await using var store = await harness.OpenDatabaseAsync();
        Assert.Empty(await store.ListRunsAsync());
    }

    [Fact]
    public async Task An_EHRSQL_database_that_is_a_named_pipe_is_refused_without_opening_it()
    {
        using var folder = new TempFolder();
        var pipe = folder.PathOf("eicu.sqlite");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [pipe])!)
        {
            await mkfifo.WaitForExitAsync();
        }

        await using var harness = new RunHarness(ehrSql: new EhrSqlDatabaseOptions { Database = pipe });
        var e = await Assert.ThrowsAsync<RequestValidationException>(() =>
            harness.RunAsync(new RunRequest(["ehr_sql"], null, [harness.Model("m")], ["none"], 2, "ehr", Samples: true)));
        Assert.Contains("is a named pipe", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_BERTScore_model_that_is_not_an_encoder_is_refused_from_its_header_before_loading()
    {
        using var home = new TempFolder();
        var chat = home.PathOf("chat.gguf");
        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Llama, Layers = 1, Embd = 32 }, chat);
        var paths = new MedHelmPaths(home.Path, new StorageOptions());
        var resolver = new ModelResolver(paths, MsOptions.Create(new Dictionary<string, LocalModelOptions>()), MsOptions.Create(new EndpointsOptions()), NullLoggerFactory.Instance);
        // a runtime folder that does not exist: loading would fail differently, so the refusal cannot come from llama.cpp
        var runtime = new LlamaRuntimeOptions { RuntimeRoot = home.PathOf("no-runtime"), Threads = 1 };
        using var loader = new InProcessModelLoader(resolver, paths, MsOptions.Create(runtime), MsOptions.Create(new ModelLoaderOptions()), NullLoggerFactory.Instance);

        var e = await Assert.ThrowsAsync<RequestValidationException>(() => loader.LeaseEmbedderAsync(chat, CancellationToken.None));

        Assert.Contains(chat, e.Message, StringComparison.Ordinal);
        Assert.Contains("is a 'llama' model, not a BERT-family embedding model", e.Message, StringComparison.Ordinal);
        Assert.Empty(loader.Loaded);

        var notGguf = home.Write("notes.gguf", "not a model");
        var bad = await Assert.ThrowsAsync<RequestValidationException>(() => loader.LeaseEmbedderAsync(notGguf, CancellationToken.None));
        Assert.Contains("is not a usable GGUF model", bad.Message, StringComparison.Ordinal);
    }
}
