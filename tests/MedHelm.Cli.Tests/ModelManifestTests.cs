using System.Security.Cryptography;
using MedHelm.Application.Models;
using MedHelm.Cli.Tests.Support;

namespace MedHelm.Cli.Tests;

public sealed class ModelManifestTests
{
    [Fact]
    public async Task The_committed_manifest_matches_what_the_generator_writes()
    {
        var manifest = ModelManifest.Load(Path.Combine(CliProcess.RepositoryRoot, "models", "manifest.json"));
        var entry = Assert.Single(manifest.Entries, e => e.Name == "medhelm-test-llama-2l-128");
        using var home = new TempHome();
        var path = home.PathOf(Path.GetFileName(entry.File));
        var made = await CliProcess.RunAsync(["models", "make-test-model", "--kind", "llama", "--layers", "2", "--embd", "128", "--quant", "f32", "--seed", "42", "--out", path], home.Folder);
        Assert.True(made.ExitCode == 0, made.ToString());
        Assert.Equal(entry.Sha256, Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(path))));
        Assert.Contains(entry.Sha256, made.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_demo_refuses_a_model_whose_sha256_differs_from_the_manifest()
    {
        using var home = new TempHome();
        var model = home.PathOf("listed.gguf");
        await CliProcess.RunAsync(["models", "make-test-model", "--kind", "llama", "--out", model, "--layers", "1", "--embd", "32"], home.Folder);
        Directory.CreateDirectory(home.PathOf("models"));
        File.WriteAllText(home.PathOf("models", "manifest.json"),
            "{\"models\":[{\"name\":\"listed\",\"file\":\"listed.gguf\",\"sha256\":\"" + new string('0', 64) +
            "\",\"quantization\":\"F32\",\"chatTemplate\":\"llama3\",\"license\":\"test\"}]}");

        var result = await CliProcess.RunAsync(["demo", "--model", model, "--max-instances", "1"], home.Folder);
        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.Contains("listed.gguf has SHA-256", line, StringComparison.Ordinal);
        Assert.False(File.Exists(home.PathOf("data", "medhelm.db")), "nothing is written when the model is refused");
    }
}
