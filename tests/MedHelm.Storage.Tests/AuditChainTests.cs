using MedHelm.Storage.Tests.Support;
using Microsoft.Data.Sqlite;

namespace MedHelm.Storage.Tests;

public sealed class AuditChainTests
{
    private static async Task<SqliteResultStore> StoreWithEventsAsync(TempDatabase temp)
    {
        var store = await SqliteResultStore.OpenAsync(temp.DatabasePath);
        for (var i = 0; i < 5; i++)
        {
            await store.AppendAuditAsync(i % 2 == 0 ? "run-a" : null, "event_" + i, $"{{\"n\":{i}}}");
        }

        return store;
    }

    /// <summary>What someone with write access to the file could do behind the application's back.</summary>
    private static async Task TamperAsync(string path, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task Every_row_including_the_migrations_own_is_chained_and_the_chain_verifies()
    {
        using var temp = new TempDatabase();
        await using var store = await StoreWithEventsAsync(temp);
        var result = await store.VerifyAuditChainAsync();
        Assert.True(result.Intact, result.Problem);
        Assert.Equal((await store.GetAuditAsync(null)).Count, result.RowsChecked);
        Assert.True(result.RowsChecked >= 6); // the migrations' schema_migrated rows and the five events
    }

    [Fact]
    public async Task A_changed_row_is_found_as_the_first_broken_link()
    {
        using var temp = new TempDatabase();
        await using var store = await StoreWithEventsAsync(temp);
        var target = (await store.GetAuditAsync(null)).Single(e => e.Event == "event_2").Id;
        await TamperAsync(temp.DatabasePath, $"DROP TRIGGER audit_no_update; UPDATE audit SET detail_json = '{{\"n\":99}}' WHERE id = {target}");

        var result = await store.VerifyAuditChainAsync();
        Assert.False(result.Intact);
        Assert.Equal(target, result.FirstBrokenId);
        Assert.Contains("does not match its link", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_removed_row_is_found_with_or_without_its_link()
    {
        using var temp = new TempDatabase();
        await using var store = await StoreWithEventsAsync(temp);
        var events = await store.GetAuditAsync(null);
        var target = events.Single(e => e.Event == "event_3").Id;
        await TamperAsync(temp.DatabasePath, $"DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE id = {target}");
        var rowOnly = await store.VerifyAuditChainAsync();
        Assert.Equal(target, rowOnly.FirstBrokenId);
        Assert.Contains("was removed", rowOnly.Problem, StringComparison.Ordinal);

        await TamperAsync(temp.DatabasePath, $"DROP TRIGGER audit_chain_no_delete; DELETE FROM audit_chain WHERE audit_id = {target}");
        var both = await store.VerifyAuditChainAsync();
        Assert.Equal(events.Single(e => e.Event == "event_4").Id, both.FirstBrokenId); // the next row's link no longer holds
    }
}
