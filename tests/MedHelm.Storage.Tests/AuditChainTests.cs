using MedHelm.Storage.Tests.Support;

namespace MedHelm.Storage.Tests;

public abstract class AuditChainContract(StoreProvider provider) : StoreContract(provider)
{
    private async Task<MedHelm.Application.Ports.IResultsDatabase> StoreWithEventsAsync()
    {
        var store = await OpenAsync();
        for (var i = 0; i < 5; i++)
        {
            await store.AppendAuditAsync(i % 2 == 0 ? "run-a" : null, "event_" + i, $"{{\"n\":{i}}}");
        }

        return store;
    }

    [Fact]
    public async Task Every_row_including_the_migrations_own_is_chained_and_the_chain_verifies()
    {
        await using var store = await StoreWithEventsAsync();
        var result = await store.VerifyAuditChainAsync();
        Assert.True(result.Intact, result.Problem);
        Assert.Equal((await store.GetAuditAsync(null)).Count, result.RowsChecked);
        Assert.True(result.RowsChecked >= 6); // the migrations' schema_migrated rows and the five events
    }

    [Fact]
    public async Task A_changed_row_is_found_as_the_first_broken_link()
    {
        await using var store = await StoreWithEventsAsync();
        var target = (await store.GetAuditAsync(null)).Single(e => e.Event == "event_2").Id;
        await Provider.ExecuteAsync($"{Provider.DropTrigger("audit_no_update", "audit")}; UPDATE audit SET detail_json = '{{\"n\":99}}' WHERE id = {target}");

        var result = await store.VerifyAuditChainAsync();
        Assert.False(result.Intact);
        Assert.Equal(target, result.FirstBrokenId);
        Assert.Contains("does not match its link", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_removed_row_is_found_with_or_without_its_link()
    {
        await using var store = await StoreWithEventsAsync();
        var events = await store.GetAuditAsync(null);
        var target = events.Single(e => e.Event == "event_3").Id;
        await Provider.ExecuteAsync($"{Provider.DropTrigger("audit_no_delete", "audit")}; DELETE FROM audit WHERE id = {target}");
        var rowOnly = await store.VerifyAuditChainAsync();
        Assert.Equal(target, rowOnly.FirstBrokenId);
        Assert.Contains("was removed", rowOnly.Problem, StringComparison.Ordinal);

        await Provider.ExecuteAsync($"{Provider.DropTrigger("audit_chain_no_delete", "audit_chain")}; DELETE FROM audit_chain WHERE audit_id = {target}");
        var both = await store.VerifyAuditChainAsync();
        Assert.Equal(events.Single(e => e.Event == "event_4").Id, both.FirstBrokenId); // the next row's link no longer holds
    }
}

public sealed class SqliteAuditChainTests() : AuditChainContract(new SqliteProvider());

public sealed class PostgresAuditChainTests() : AuditChainContract(new PostgresProvider());
