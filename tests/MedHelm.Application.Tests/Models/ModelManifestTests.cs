using MedHelm.Application.Errors;
using MedHelm.Application.Models;

namespace MedHelm.Application.Tests.Models;

/// <summary>models/manifest.json: malformed files name the problem; a listed model with another hash is a conflict.</summary>
public sealed class ModelManifestTests
{
    [Theory]
    [InlineData("{", "not valid JSON")]
    [InlineData("[]", "\"models\" array")]
    [InlineData("{\"models\":[{\"name\":\"a\"}]}", "models[0] needs a non-empty string \"file\"")]
    [InlineData("{\"models\":[{\"name\":\"a\",\"file\":\"a.gguf\",\"sha256\":\"xyz\",\"quantization\":\"F32\",\"chatTemplate\":\"llama3\",\"license\":\"x\"}]}", "models[0].sha256 must be 64")]
    public void A_malformed_manifest_names_the_problem(string json, string expected)
    {
        using var home = new TempFolder();
        var path = home.PathOf("manifest.json");
        File.WriteAllText(path, json);
        var e = Assert.Throws<RequestValidationException>(() => ModelManifest.Load(path));
        Assert.Contains("manifest.json", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_listed_model_with_another_sha256_is_a_conflict_naming_both_hashes()
    {
        using var home = new TempFolder();
        var sha = new string('a', 64);
        var path = home.Write("manifest.json", $$"""{"models":[{"name":"m","file":"m.gguf","sha256":"{{sha}}","quantization":"F32","chatTemplate":"llama3","license":"x"}]}""");
        var manifest = ModelManifest.Load(path);
        manifest.Verify(home.PathOf("m.gguf"), sha);
        manifest.Verify(home.PathOf("other.gguf"), new string('b', 64)); // not listed: nothing to check
        var e = Assert.Throws<ConflictException>(() => manifest.Verify(home.PathOf("m.gguf"), new string('b', 64)));
        Assert.Contains(sha, e.Message, StringComparison.Ordinal);
        Assert.Contains(new string('b', 64), e.Message, StringComparison.Ordinal);
    }
}
