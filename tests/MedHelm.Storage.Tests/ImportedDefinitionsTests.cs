using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Datasets;
using MedHelm.Storage.Tests.Support;

namespace MedHelm.Storage.Tests;

/// <summary>The definitions stored with imports, as <c>benchmarks list</c> reads them.</summary>
public abstract class ImportedDefinitionsContract(StoreProvider provider) : StoreContract(provider)
{
    private static ImportedDataset Dataset(string benchmark, char sha, params string[] ids) => new(
        benchmark,
        ids.Select(id => new BenchmarkInstance(id, new Dictionary<string, string> { ["note"] = "n " + id }, "q", [], "yes", "test")).ToArray(),
        [new SourceFileInfo("i.jsonl", new string(sha, 64), 10)]);

    [Fact]
    public async Task The_latest_import_of_each_benchmark_gives_its_definition()
    {
        await using var store = await OpenAsync();
        Assert.Empty(await store.ListImportedDefinitionsAsync());

        await store.StoreDatasetAsync(Dataset("my_task", 'a', "1"), AccessTier.Private, "/d/v1", "{\"v\": 1}");
        await Task.Delay(20);
        await store.StoreDatasetAsync(Dataset("my_task", 'b', "1", "2"), AccessTier.Private, "/d/v2", "{\"v\": 2}");
        await store.StoreDatasetAsync(Dataset("medbullets", 'c', "1"), AccessTier.Public, "/d/mb");
        await store.StoreDatasetAsync(Dataset("bundled_only", 'd', "1"), AccessTier.Private, "bundled:" + "bundled_only", "{\"v\": 3}");

        var definitions = await store.ListImportedDefinitionsAsync();
        Assert.Equal([new StoredDefinition("my_task", "{\"v\": 2}")], definitions);

        IImportedBenchmarks imports = store;
        var instances = await imports.GetImportedInstancesAsync("my_task");
        Assert.Equal(["1", "2"], instances!.Instances.Select(i => i.Id));
        Assert.Equal("/d/v2", instances.SourcePath);
        Assert.Null(await imports.GetImportedInstancesAsync("never_imported"));
    }
}

public sealed class SqliteImportedDefinitionsTests() : ImportedDefinitionsContract(new SqliteProvider());

public sealed class PostgresImportedDefinitionsTests() : ImportedDefinitionsContract(new PostgresProvider());
