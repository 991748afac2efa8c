using System.Globalization;
using System.Text.Json;
using MedHelm.Application.Errors;
using MedHelm.Application.Ports;
using MedHelm.Storage.Tests.Support;
using Microsoft.Data.Sqlite;

namespace MedHelm.Storage.Tests;

/// <summary>
/// The model registry's fields in the models table (schema 9): a registration round-trips every field and is audited; a
/// run's record keeps them for the same file and clears them for another; removal deletes the row or, when runs' results
/// name the model, only its registration; a database of schema 8 keeps every model row when it is migrated.
/// </summary>
public abstract class ModelRegistryStorageContract(StoreProvider provider) : StoreContract(provider)
{
    protected static readonly string ShaA = new('a', 64);
    protected static readonly string ShaB = new('b', 64);

    protected static StoredModel Registered(string name, string sha, ModelTrust trust = ModelTrust.Trusted) =>
        new StoredModel(name, "/models/" + name + ".gguf", sha, 4096, "llama", "Q4_K_M", 70_000_000_000)
        {
            ContextLength = 131072,
            ChatTemplateSha256 = new string('d', 64),
            ChatTemplateFamily = "llama3",
            License = "llama3.3",
            Trust = trust,
            RegisteredBy = "cli:alice",
            RecordedUtc = new DateTimeOffset(2026, 12, 5, 19, 0, 0, TimeSpan.Zero),
        };

    [Fact]
    public async Task A_registration_round_trips_every_field_and_is_audited_with_its_trust_and_who()
    {
        await using var store = await OpenAsync();
        var model = Registered("llama", ShaA);
        await store.RegisterModelAsync(model);

        Assert.Equal(model, await store.GetModelAsync("llama"));
        Assert.Equal([model], await store.ListModelsAsync());
        var audit = (await store.GetAuditAsync(null)).Last(e => e.Event == "model_registered");
        var detail = JsonDocument.Parse(audit.DetailJson).RootElement;
        Assert.Equal(("llama", ShaA, "trusted", true, "cli:alice"), (
            detail.GetProperty("name").GetString(), detail.GetProperty("sha256").GetString(), detail.GetProperty("source").GetString(),
            detail.GetProperty("trust").GetBoolean(), detail.GetProperty("by").GetString()));
        Assert.True((await store.VerifyAuditChainAsync()).Intact);
    }

    [Fact]
    public async Task A_run_keeps_the_registration_of_the_same_file_clears_it_for_another_and_a_registration_of_another_file_is_a_conflict()
    {
        await using var store = await OpenAsync();
        var model = Registered("llama", ShaA, ModelTrust.Manifest);
        await store.RegisterModelAsync(model);

        await store.RegisterModelAsync(new StoredModel("llama", "/elsewhere/llama.gguf", ShaA, 4096, "llama", "Q4_K_M", 70_000_000_000)); // a run, same file
        Assert.Equal(model with { Path = "/elsewhere/llama.gguf" }, await store.GetModelAsync("llama"));

        var conflict = await Assert.ThrowsAsync<ConflictException>(() => store.RegisterModelAsync(Registered("llama", ShaB)));
        Assert.Contains("different model", conflict.Message, StringComparison.Ordinal);
        Assert.Equal(ShaA, (await store.GetModelAsync("llama"))!.Sha256);

        await store.RegisterModelAsync(new StoredModel("llama", "/models/other.gguf", ShaB, 1, "qwen2", "F16", 1)); // a run, another file
        var replaced = (await store.GetModelAsync("llama"))!;
        Assert.Equal((ShaB, (ModelTrust?)null, (string?)null, (string?)null, (long?)null), (replaced.Sha256, replaced.Trust, replaced.RegisteredBy, replaced.License, replaced.ContextLength));
        Assert.Equal(model.RecordedUtc, replaced.RecordedUtc);
    }

    [Fact]
    public async Task Removal_deletes_an_unused_entry_and_keeps_the_identity_of_one_that_runs_results_name()
    {
        await using var store = await OpenAsync();
        await store.RegisterModelAsync(Registered("unused", ShaA));
        await store.RegisterModelAsync(Registered("m1", ShaB, ModelTrust.GivenHash));
        await Samples.WriteRunAsync(store, Samples.Run(), Samples.Result("run-1", "m1", "1", 1));

        Assert.Equal(ShaA, (await store.RemoveModelAsync("unused", "cli:bob"))!.Sha256);
        Assert.Null(await store.GetModelAsync("unused"));
        Assert.Equal(ModelTrust.GivenHash, (await store.RemoveModelAsync("m1", "cli:bob"))!.Trust);
        var kept = (await store.GetModelAsync("m1"))!;
        Assert.Equal((ShaB, "llama", (ModelTrust?)null, (string?)null), (kept.Sha256, kept.Architecture, kept.Trust, kept.RegisteredBy));
        Assert.Null(await store.RemoveModelAsync("m1", "cli:bob")); // recorded, no longer registered
        Assert.Null(await store.RemoveModelAsync("never", "cli:bob"));

        var removals = (await store.GetAuditAsync(null)).Where(e => e.Event == "model_removed").Select(e => JsonDocument.Parse(e.DetailJson).RootElement).ToArray();
        Assert.Equal([("unused", false, "cli:bob"), ("m1", true, "cli:bob")], removals.Select(d => (d.GetProperty("name").GetString(), d.GetProperty("kept_for_runs").GetBoolean(), d.GetProperty("by").GetString())));
    }
}

public sealed class PostgresModelRegistryStorageTests() : ModelRegistryStorageContract(new PostgresProvider());

public sealed class SqliteModelRegistryStorageTests() : ModelRegistryStorageContract(new SqliteProvider())
{
    [Fact]
    public async Task A_schema_8_database_keeps_every_model_and_an_earlier_service_registration_becomes_a_given_hash_one()
    {
        using var temp = new TempDatabase();
        Directory.CreateDirectory(temp.Folder);
        var schema8 = string.Concat(Migrations.All.Take(8));
        await RawSql.ExecuteAsync(temp.DatabasePath,
            "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_utc TEXT NOT NULL);" + schema8 +
            "INSERT INTO schema_version VALUES " + string.Join(", ", Enumerable.Range(1, 8).Select(v => $"({v}, 'x')")) + ";" +
            $$"""
            INSERT INTO models (name, path, sha256, size_bytes, registered_utc, architecture, quantization, parameters) VALUES
                ('by-run', '/m/by-run.gguf', '{{ShaA}}', 10, '2026-01-01T00:00:00.0000000Z', 'llama', 'F32', 100),
                ('posted', '/m/posted.gguf', '{{ShaB}}', 20, '2026-01-02T00:00:00.0000000Z', 'qwen2', 'Q8_0', 200),
                ('endpoint', NULL, NULL, NULL, '2026-01-03T00:00:00.0000000Z', 'hosted', 'gpt-x', NULL);
            INSERT INTO audit (at_utc, event, detail_json) VALUES
                ('2026-01-02T00:00:00.0000000Z', 'model_registered', '{"name":"by-run","sha256":"{{ShaA}}"}'),
                ('2026-01-02T00:00:00.0000000Z', 'model_registered', '{"name":"by-run","sha256":"{{ShaB}}","by":"token:stale"}'),
                ('2026-01-02T00:00:00.0000000Z', 'model_registered', 'not json'),
                ('2026-01-02T00:00:00.0000000Z', 'model_registered', '{"name":"posted","sha256":"{{ShaB}}"}'),
                ('2026-01-02T00:00:00.0000000Z', 'model_registered', '{"name":"posted","sha256":"{{ShaB}}","by":"token:admin"}');
            """);
        SqliteConnection.ClearAllPools();

        await using var store = await SqliteResultStore.OpenAsync(temp.DatabasePath);
        Assert.Equal(["9"], await RawSql.QueryAsync(temp.DatabasePath, "SELECT MAX(version) FROM schema_version"));
        var models = await store.ListModelsAsync();
        Assert.Equal(["by-run", "endpoint", "posted"], models.Select(m => m.Name));
        Assert.Equal(
            [("by-run", 10L, "llama", (ModelTrust?)null, (string?)null), ("endpoint", (long?)null, "hosted", null, null), ("posted", 20L, "qwen2", ModelTrust.GivenHash, "token:admin")],
            models.Select(m => (m.Name, m.SizeBytes, m.Architecture, m.Trust, m.RegisteredBy)));
        Assert.Equal(DateTimeOffset.Parse("2026-01-02T00:00:00Z", CultureInfo.InvariantCulture), models[2].RecordedUtc);
        Assert.Contains(await store.GetAuditAsync(null), e => e.Event == "schema_migrated" && e.DetailJson == """{"to":9}""");
    }
}
