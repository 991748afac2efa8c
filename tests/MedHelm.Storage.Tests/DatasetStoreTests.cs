using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Datasets;
using MedHelm.Storage.Tests.Support;

namespace MedHelm.Storage.Tests;

public abstract class DatasetStoreContract(StoreProvider provider) : StoreContract(provider)
{
    private static ImportedDataset Dataset(string sha = "aa", params string[] ids) => new(
        "medbullets",
        ids.Select(id => new BenchmarkInstance(
            id, new Dictionary<string, string> { ["k"] = "v" }, "q " + id, [new AnswerOption('A', "x"), new AnswerOption('B', "y")], "A", "test")
        {
            Metadata = new Dictionary<string, string> { ["source_line"] = "2" },
        }).ToArray(),
        [new SourceFileInfo("medbullets_op5.csv", new string(sha[0], 64), 10)]);

    [Fact]
    public async Task Stores_instances_with_hash_tier_and_counts_and_reimport_changes_nothing()
    {
        await using var store = await OpenAsync();
        var first = await store.StoreDatasetAsync(Dataset("a", "1", "2", "3"), AccessTier.Public, "/data/medbullets");
        Assert.True(first.Stored);
        var again = await store.StoreDatasetAsync(Dataset("a", "1", "2", "3"), AccessTier.Public, "/data/medbullets");
        Assert.False(again.Stored);
        Assert.Equal(first.SourceSha256, again.SourceSha256);

        var listed = Assert.Single(await store.ListDatasetsAsync());
        Assert.Equal(("medbullets", "public", 3, "test 3"), (listed.Benchmark, listed.Access, listed.InstanceCount, listed.SplitCounts));
        Assert.Equal("medbullets_op5.csv", Assert.Single(listed.SourceFiles).FileName);

        var import = await store.GetImportAsync("medbullets");
        Assert.NotNull(import);
        Assert.Equal((first.SourceSha256, "/data/medbullets"), (import.SourceSha256, import.SourcePath));
        var instances = import.Instances;
        Assert.Equal(["1", "2", "3"], instances.Select(i => i.Id));
        Assert.Equal(['A', 'B'], instances[0].OptionLetters);
        Assert.Equal("2", instances[0].Metadata["source_line"]);
    }

    [Fact]
    public async Task A_failed_import_leaves_nothing_behind()
    {
        await using var store = await OpenAsync();
        // a duplicate id violates the primary key half-way through the insert
        await Assert.ThrowsAnyAsync<Exception>(() => store.StoreDatasetAsync(Dataset("b", "1", "2", "2"), AccessTier.Public, "/x"));
        Assert.Empty(await store.ListDatasetsAsync());
        Assert.Null(await store.GetImportAsync("medbullets"));
        Assert.Equal(["0"], await QueryAsync("SELECT COUNT(*) FROM dataset_instances"));

        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.StoreDatasetAsync(Dataset("c", "1"), AccessTier.Public, "/x", cancellationToken: cancelled.Token));
        Assert.Empty(await store.ListDatasetsAsync());
    }

    [Fact]
    public async Task A_changed_source_is_a_new_import()
    {
        await using var store = await OpenAsync();
        await store.StoreDatasetAsync(Dataset("a", "1"), AccessTier.Public, "/x");
        var second = await store.StoreDatasetAsync(Dataset("d", "1", "2"), AccessTier.Public, "/x");
        Assert.True(second.Stored);
        Assert.Equal(2, (await store.ListDatasetsAsync()).Count);
        Assert.Equal(["1", "2"], (await store.GetImportAsync("medbullets", second.SourceSha256))!.Instances.Select(i => i.Id));
    }
}

public sealed class SqliteDatasetStoreTests() : DatasetStoreContract(new SqliteProvider());

public sealed class PostgresDatasetStoreTests() : DatasetStoreContract(new PostgresProvider());
