using MedHelm.Application.Errors;
using MedHelm.Application.Ports;
using MedHelm.Storage.Tests.Support;

namespace MedHelm.Storage.Tests;

public abstract class UserStoreContract(StoreProvider provider) : StoreContract(provider)
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    private static StoredUser User(string name, AccessRole role = AccessRole.Viewer) =>
        new(name, role, "HASH-" + name, "stamp-1", 0, null, false, Now, null);

    [Fact]
    public async Task A_user_round_trips_and_a_second_with_the_same_name_is_a_conflict_audited_once()
    {
        await using var store = await OpenAsync();
        await store.Users.AddUserAsync(User("alice", AccessRole.Admin), "cli:root");
        await store.Users.AddUserAsync(User("bob"), "cli:root");

        var alice = await store.Users.FindUserAsync("alice");
        Assert.Equal(User("alice", AccessRole.Admin), alice);
        Assert.Null(await store.Users.FindUserAsync("carol"));
        Assert.Equal(["alice", "bob"], (await store.Users.ListUsersAsync()).Select(u => u.Name));
        await Assert.ThrowsAsync<ConflictException>(() => store.Users.AddUserAsync(User("alice"), "cli:root"));

        var created = (await store.GetAuditAsync(null)).Where(e => e.Event == "user_created").ToArray();
        Assert.Equal(2, created.Length);
        Assert.Equal("""{"name":"alice","role":"admin","by":"cli:root"}""", created[0].DetailJson);
        Assert.All(created, e => Assert.DoesNotContain("HASH", e.DetailJson, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Failures_count_up_then_lock_the_account_and_clear_the_count_and_a_success_clears_it()
    {
        await using var store = await OpenAsync();
        await store.Users.AddUserAsync(User("alice"), "t");
        var until = Now.AddMinutes(15);

        Assert.Equal(new LoginFailureOutcome(1, false), await store.Users.RecordLoginFailureAsync("alice", 3, until, "10.0.0.1"));
        Assert.Equal(new LoginFailureOutcome(2, false), await store.Users.RecordLoginFailureAsync("alice", 3, until, "10.0.0.1"));
        Assert.Equal(new LoginFailureOutcome(0, true), await store.Users.RecordLoginFailureAsync("alice", 3, until, "10.0.0.1"));
        var locked = await store.Users.FindUserAsync("alice");
        Assert.Equal((0, until), (locked!.FailedAttempts, locked.LockedUntilUtc));

        await store.Users.RecordLoginFailureAsync("alice", 3, until, "10.0.0.1");
        await store.Users.RecordLoginSuccessAsync("alice", Now.AddHours(1), "REHASHED", "10.0.0.2");
        var after = await store.Users.FindUserAsync("alice");
        Assert.Equal((0, (DateTimeOffset?)null, Now.AddHours(1), "REHASHED"), (after!.FailedAttempts, after.LockedUntilUtc, after.LastLoginUtc, after.PasswordHash));

        var events = (await store.GetAuditAsync(null)).Select(e => e.Event).Where(e => e.StartsWith("login", StringComparison.Ordinal) || e == "account_locked");
        Assert.Equal(["login_failed", "login_failed", "login_failed", "account_locked", "login_failed", "login_succeeded"], events);
        Assert.True((await store.VerifyAuditChainAsync()).Intact);
    }

    [Fact]
    public async Task Concurrent_failures_are_all_counted()
    {
        await using var store = await OpenAsync();
        await store.Users.AddUserAsync(User("alice"), "t");
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => store.Users.RecordLoginFailureAsync("alice", 100, Now, "c")));
        Assert.Equal(Enumerable.Range(1, 20), outcomes.Select(o => o.FailedAttempts).Order());
    }

    [Fact]
    public async Task Disable_and_password_change_replace_the_stamp_and_are_audited_and_unknown_names_change_nothing()
    {
        await using var store = await OpenAsync();
        await store.Users.AddUserAsync(User("alice"), "t");
        await store.Users.RecordLoginFailureAsync("alice", 1, Now.AddMinutes(5), "c");

        Assert.True(await store.Users.SetPasswordAsync("alice", "NEW", "stamp-2", "admin"));
        var changed = await store.Users.FindUserAsync("alice");
        Assert.Equal(("NEW", "stamp-2", (DateTimeOffset?)null), (changed!.PasswordHash, changed.SecurityStamp, changed.LockedUntilUtc));

        Assert.True(await store.Users.SetDisabledAsync("alice", true, "stamp-3", "admin"));
        Assert.True((await store.Users.FindUserAsync("alice"))!.Disabled);
        Assert.True(await store.Users.SetDisabledAsync("alice", false, "stamp-4", "admin"));
        Assert.Equal((false, "stamp-4"), ((await store.Users.FindUserAsync("alice"))!.Disabled, (await store.Users.FindUserAsync("alice"))!.SecurityStamp));

        Assert.False(await store.Users.SetPasswordAsync("nobody", "X", "s", "admin"));
        Assert.False(await store.Users.SetDisabledAsync("nobody", true, "s", "admin"));
        var audit = await store.GetAuditAsync(null);
        Assert.Equal(["password_changed", "user_disabled", "user_enabled"], audit.Select(e => e.Event).Where(e => e is "password_changed" or "user_disabled" or "user_enabled"));
        Assert.DoesNotContain(audit, e => e.DetailJson.Contains("NEW", StringComparison.Ordinal) || e.DetailJson.Contains("nobody", StringComparison.Ordinal));
    }
}

public sealed class SqliteUserStoreTests() : UserStoreContract(new SqliteProvider());

public sealed class PostgresUserStoreTests() : UserStoreContract(new PostgresProvider());
