using MedHelm.Evaluation.Ledger;
using MedHelm.Storage.Tests.Support;
using Microsoft.Data.Sqlite;

namespace MedHelm.Storage.Tests;

/// <summary>
/// An undefined main score (helm mode where HELM's own code raises) is stored as NULL (schema 8), read back as null,
/// and left out of the leaderboard's mean; a database of schema 7 keeps its scores when it is migrated.
/// </summary>
public abstract class UndefinedScoreStorageContract(StoreProvider provider) : StoreContract(provider)
{
    protected static LedgerEntry Undefined(string runId, string instanceId) =>
        Samples.Result(runId, "m1", instanceId, 0) with { Scores = [new MetricScore("exact_match", null)] };

    [Fact]
    public async Task A_null_main_score_is_stored_read_back_and_left_out_of_the_mean()
    {
        await using var store = await OpenAsync();
        await Samples.WriteRunAsync(store, Samples.Run(), Samples.Result("run-1", "m1", "1", 1), Undefined("run-1", "2"), Samples.Result("run-1", "m1", "3", 0));

        var results = await store.GetRunResultsAsync("run-1");
        Assert.Equal([("1", (double?)1), ("2", null), ("3", 0)], results.Select(r => (r.InstanceId, r.Score)));
        Assert.Equal(["1", "-1", "0"], await QueryAsync("SELECT CASE WHEN value IS NULL THEN -1 ELSE value END FROM scores ORDER BY request_id"));

        foreach (var runId in new[] { "run-1", null })
        {
            var row = Assert.Single(await store.GetLeaderboardAsync(runId));
            Assert.Equal((0.5, 3, 1), (row.Score, row.Instances, row.Undefined));
        }
    }
}

public sealed class SqliteUndefinedScoreStorageTests() : UndefinedScoreStorageContract(new SqliteProvider())
{
    [Fact]
    public async Task A_schema_7_database_keeps_its_scores_and_then_accepts_an_undefined_one()
    {
        using var temp = new TempDatabase();
        await using (var store = await SqliteResultStore.OpenAsync(temp.DatabasePath))
        {
            await Samples.WriteRunAsync(store, Samples.Run(), Samples.Result("run-1", "m1", "1", 1), Samples.Result("run-1", "m1", "2", 0));
        }

        SqliteConnection.ClearAllPools();

        // back to schema 7: the scores table as migrations 3 and 5 left it (value NOT NULL), versions 8 and 9 (the models' registry columns) undone
        await RawSql.ExecuteAsync(temp.DatabasePath, """
            CREATE TABLE scores_v7 (
                run_id TEXT NOT NULL, request_id INTEGER NOT NULL, metric TEXT NOT NULL, value REAL NOT NULL, is_main INTEGER NOT NULL DEFAULT 1,
                PRIMARY KEY (run_id, request_id, metric),
                FOREIGN KEY (run_id, request_id) REFERENCES run_completions (run_id, request_id)
            ) WITHOUT ROWID;
            INSERT INTO scores_v7 SELECT run_id, request_id, metric, value, is_main FROM scores;
            DROP TABLE scores;
            ALTER TABLE scores_v7 RENAME TO scores;
            ALTER TABLE models DROP COLUMN context_length;
            ALTER TABLE models DROP COLUMN chat_template_sha256;
            ALTER TABLE models DROP COLUMN chat_template_family;
            ALTER TABLE models DROP COLUMN license;
            ALTER TABLE models DROP COLUMN trust;
            ALTER TABLE models DROP COLUMN registered_by;
            DELETE FROM schema_version WHERE version >= 8;
            """);
        Assert.Equal(["1"], await RawSql.QueryAsync(temp.DatabasePath, "SELECT \"notnull\" FROM pragma_table_info('scores') WHERE name = 'value'"));
        SqliteConnection.ClearAllPools();

        await using (var store = await SqliteResultStore.OpenAsync(temp.DatabasePath))
        {
            Assert.Equal([Migrations.All.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)], await RawSql.QueryAsync(temp.DatabasePath, "SELECT MAX(version) FROM schema_version"));
            Assert.Equal(["0"], await RawSql.QueryAsync(temp.DatabasePath, "SELECT \"notnull\" FROM pragma_table_info('scores') WHERE name = 'value'"));
            Assert.Equal([("1", (double?)1), ("2", 0)], (await store.GetRunResultsAsync("run-1")).Select(r => (r.InstanceId, r.Score)));

            await Samples.WriteRunAsync(store, Samples.Run("run-2"), Undefined("run-2", "1"));
            var row = Assert.Single(await store.GetLeaderboardAsync("run-2"));
            Assert.True(double.IsNaN(row.Score));
            Assert.Equal((1, 1), (row.Instances, row.Undefined));
        }
    }
}

public sealed class PostgresUndefinedScoreStorageTests() : UndefinedScoreStorageContract(new PostgresProvider());
