using System.Text.Json;
using MedHelm.Application.Errors;
using MedHelm.Application.Hosting;
using MedHelm.Application.Models;
using MedHelm.Application.Options;
using MedHelm.Application.Ports;
using MedHelm.Application.Runs;
using MedHelm.Gguf.TestModels;
using MedHelm.Storage;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace MedHelm.Application.Tests.Models;

/// <summary>
/// The model registry's rules over a real temporary results database, a temporary home with its own
/// models/manifest.json, and generated GGUF files: what is trusted, what is refused (and that nothing is then recorded),
/// idempotence, name conflicts, and removal while a queued run uses the model.
/// </summary>
public sealed class ModelRegistryTests : IAsyncLifetime
{
    private const string By = "cli:tester";
    private readonly TempFolder _home = new("medhelm-registry-");
    private readonly ManualClock _clock = new();
    private readonly Dictionary<string, LocalModelOptions> _configured = new(StringComparer.Ordinal);
    private readonly EndpointsOptions _endpoints = new();
    private SqliteResultStore _store = null!;
    private ModelRegistry _registry = null!;

    public async Task InitializeAsync()
    {
        _store = await SqliteResultStore.OpenAsync(_home.File("results.sqlite"));
        _registry = new ModelRegistry(
            new Lazy<IResultsDatabase>(_store), new MedHelmPaths(_home.Path, new StorageOptions()), MsOptions.Create(_configured), MsOptions.Create(_endpoints), _clock);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _home.Dispose();
    }

    [Fact]
    public async Task A_file_whose_hash_the_manifest_lists_is_registered_under_its_name_with_the_header_facts()
    {
        var path = Model("listed.gguf", seed: 1, license: "llama3.3");
        var sha = ModelFiles.Sha256(path);
        Manifest(("llama-listed", "listed.gguf", sha));

        var added = await _registry.AddAsync(new ModelAddRequest(path), By);

        Assert.Equal(ModelAddOutcome.Registered, added.Outcome);
        var m = added.Model;
        Assert.Equal(("llama-listed", path, sha, ModelTrust.Manifest, By), (m.Name, m.Path, m.Sha256, m.Trust, m.RegisteredBy));
        Assert.Equal(("llama", "all F32", 4096L, "llama3", "llama3.3"), (m.Architecture, m.Quantization, m.ContextLength, m.ChatTemplateFamily, m.License));
        Assert.Equal(new FileInfo(path).Length, m.SizeBytes);
        Assert.True(m.Parameters > 0);
        Assert.Equal(64, m.ChatTemplateSha256!.Length);
        Assert.Equal(_clock.GetUtcNow(), m.RecordedUtc);
        Assert.Equal(m, await _store.GetModelAsync("llama-listed"));
    }

    [Fact]
    public async Task An_unknown_file_is_refused_unless_trusted_and_a_trusted_add_is_audited_as_such()
    {
        var path = Model("unknown.gguf", seed: 2);
        var refused = await Assert.ThrowsAsync<PolicyViolationException>(() => _registry.AddAsync(new ModelAddRequest(path), By));
        Assert.Contains(path, refused.Message, StringComparison.Ordinal);
        Assert.Contains("--trust", refused.Message, StringComparison.Ordinal);
        Assert.Empty(await _store.ListModelsAsync());

        var added = await _registry.AddAsync(new ModelAddRequest(path, Trust: true), By);
        Assert.Equal(("unknown", ModelTrust.Trusted), (added.Model.Name, added.Model.Trust));
        var detail = JsonDocument.Parse((await _store.GetAuditAsync(null)).Last(e => e.Event == "model_registered").DetailJson).RootElement;
        Assert.Equal(("unknown", true, "trusted", By), (detail.GetProperty("name").GetString(), detail.GetProperty("trust").GetBoolean(), detail.GetProperty("source").GetString(), detail.GetProperty("by").GetString()));
    }

    [Fact]
    public async Task A_given_hash_must_be_the_files_and_a_wrong_one_registers_nothing()
    {
        var path = Model("given.gguf", seed: 3);
        var sha = ModelFiles.Sha256(path);

        var wrong = await Assert.ThrowsAsync<RequestValidationException>(() => _registry.AddAsync(new ModelAddRequest(path, Sha256: new string('0', 64), Trust: true), By));
        Assert.Contains($"has SHA-256 {sha}", wrong.Message, StringComparison.Ordinal);
        Assert.Contains("nothing was registered", wrong.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<RequestValidationException>(() => _registry.AddAsync(new ModelAddRequest(path, Sha256: "abc"), By));
        Assert.Empty(await _store.ListModelsAsync());

        var added = await _registry.AddAsync(new ModelAddRequest(path, "mine", sha.ToUpperInvariant()), By);
        Assert.Equal(("mine", ModelTrust.GivenHash), (added.Model.Name, added.Model.Trust));
    }

    [Fact]
    public async Task A_truncated_or_missing_file_is_refused_naming_it_and_nothing_is_recorded()
    {
        var path = Model("whole.gguf", seed: 4);
        var truncated = _home.File("truncated.gguf");
        await File.WriteAllBytesAsync(truncated, (await File.ReadAllBytesAsync(path))[..600]);

        var error = await Assert.ThrowsAsync<RequestValidationException>(() => _registry.AddAsync(new ModelAddRequest(truncated, Trust: true), By));
        Assert.Contains(truncated, error.Message, StringComparison.Ordinal);
        Assert.Contains("not a usable GGUF model", error.Message, StringComparison.Ordinal);
        var missing = await Assert.ThrowsAsync<NotFoundException>(() => _registry.AddAsync(new ModelAddRequest(_home.File("none.gguf"), Trust: true), By));
        Assert.Contains("none.gguf does not exist", missing.Message, StringComparison.Ordinal);
        Assert.Empty(await _store.ListModelsAsync());
        Assert.DoesNotContain(await _store.GetAuditAsync(null), e => e.Event == "model_registered");
    }

    [Fact]
    public async Task Adding_the_same_file_again_changes_nothing_and_another_file_under_the_name_or_a_manifest_mismatch_is_a_conflict()
    {
        var path = Model("same.gguf", seed: 5);
        var first = await _registry.AddAsync(new ModelAddRequest(path, Trust: true), By);
        var audits = (await _store.GetAuditAsync(null)).Count;

        var again = await _registry.AddAsync(new ModelAddRequest(path, Trust: true), "cli:someone-else");
        Assert.Equal((ModelAddOutcome.AlreadyRegistered, first.Model), (again.Outcome, again.Model));
        Assert.Equal(audits, (await _store.GetAuditAsync(null)).Count);

        var other = Model("other.gguf", seed: 6);
        var conflict = await Assert.ThrowsAsync<ConflictException>(() => _registry.AddAsync(new ModelAddRequest(other, "same", Trust: true), By));
        Assert.Contains("different model", conflict.Message, StringComparison.Ordinal);

        Manifest(("pinned", "other.gguf", new string('f', 64)));
        var mismatch = await Assert.ThrowsAsync<ConflictException>(() => _registry.AddAsync(new ModelAddRequest(other, Trust: true), By));
        Assert.Contains("manifest.json lists", mismatch.Message, StringComparison.Ordinal);
        Assert.Equal(["same"], (await _store.ListModelsAsync()).Select(m => m.Name));
    }

    [Fact]
    public async Task A_configured_name_is_taken_only_for_its_own_file_and_an_endpoint_name_never_and_both_are_listed()
    {
        var path = Model("configured.gguf", seed: 7);
        var other = Model("stranger.gguf", seed: 8);
        _configured["local"] = new LocalModelOptions { File = "configured.gguf" };
        _endpoints.Items["hosted"] = new EndpointOptions { BaseUrl = "https://example.invalid/v1", Model = "x" };

        await Assert.ThrowsAsync<ConflictException>(() => _registry.AddAsync(new ModelAddRequest(other, "local", Trust: true), By));
        await Assert.ThrowsAsync<ConflictException>(() => _registry.AddAsync(new ModelAddRequest(other, "hosted", Trust: true), By));
        await Assert.ThrowsAsync<RequestValidationException>(() => _registry.AddAsync(new ModelAddRequest(other, "a/b", Trust: true), By));
        await _registry.AddAsync(new ModelAddRequest(path, "local", Trust: true), By);

        var listed = await _registry.ListAsync();
        Assert.Equal([("local", "configured"), ("hosted", "endpoint"), ("local", "registered")], listed.Select(m => (m.Name, m.Kind)));
        Assert.Equal(path, listed[0].File);
    }

    [Fact]
    public async Task Removal_is_refused_while_a_queued_run_names_the_file_and_then_deletes_only_the_entry()
    {
        var path = Model("queued.gguf", seed: 9);
        await _registry.AddAsync(new ModelAddRequest(path, "busy", Trust: true), By);
        await _store.Queue.EnqueueAsync("run-q", new RunRequest(["medbullets"], null, [path], ["none"]), "operator");

        var inUse = await Assert.ThrowsAsync<ConflictException>(() => _registry.RemoveAsync("busy", By));
        Assert.Contains("run-q", inUse.Message, StringComparison.Ordinal);
        Assert.NotNull(await _store.GetModelAsync("busy"));

        Assert.True(await _store.Queue.TransitionAsync("run-q", QueueState.Queued, QueueState.Cancelled));
        Assert.True(await _registry.RemoveAsync("busy", "cli:remover"));
        Assert.Null(await _store.GetModelAsync("busy"));
        Assert.True(File.Exists(path), "the file is never removed");
        Assert.Contains(await _store.GetAuditAsync(null), e => e.Event == "model_removed" && e.DetailJson.Contains("cli:remover", StringComparison.Ordinal));
        await Assert.ThrowsAsync<NotFoundException>(() => _registry.RemoveAsync("busy", By));
    }

    [Theory]
    [InlineData(TestModelKind.Llama, "llama3")]
    [InlineData(TestModelKind.DeepSeekR1, "deepseek-r1")]
    public void The_chat_template_family_of_the_generated_templates_is_detected(TestModelKind kind, string family) =>
        Assert.Equal(family, ChatTemplateFamilies.Detect(TestModelTemplates.For(kind)));

    [Theory]
    [InlineData("{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>{% endfor %}", "chatml")]
    [InlineData("{{ bos_token }}[INST] {{ messages[0].content }} [/INST]", "mistral")]
    [InlineData("{{ messages }}", "unknown")]
    [InlineData(null, "none")]
    public void Other_chat_template_families(string? template, string family) => Assert.Equal(family, ChatTemplateFamilies.Detect(template));

    private string Model(string fileName, long seed, string? license = null)
    {
        var path = _home.File(fileName);
        TestModelFactory.Write(new TestModelSpec { Layers = 1, Embd = 32, Seed = seed, License = license }, path);
        return path;
    }

    private void Manifest(params (string Name, string File, string Sha256)[] entries)
    {
        Directory.CreateDirectory(_home.PathOf("models"));
        File.WriteAllText(_home.PathOf("models", "manifest.json"), JsonSerializer.Serialize(new
        {
            models = entries.Select(e => new { name = e.Name, file = e.File, sha256 = e.Sha256, quantization = "F32", chatTemplate = "llama3", license = "test" }),
        }));
    }
}
