using MedHelm.Application.Access;
using MedHelm.Application.Errors;
using MedHelm.Application.Options;
using MedHelm.Application.Ports;
using MedHelm.Storage;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace MedHelm.Application.Tests.Access;

public sealed class AccountServiceTests : IAsyncLifetime
{
    private const string Password = "correct horse battery";
    private readonly TempFolder _folder = new("medhelm-accounts-");
    private readonly ManualClock _clock = new();
    private SqliteResultStore _store = null!;
    private AccountService _accounts = null!;

    public async Task InitializeAsync()
    {
        _store = await SqliteResultStore.OpenAsync(_folder.File("results.sqlite"));
        var options = new ServiceOptions { LoginMaxFailures = 3, LoginLockoutMinutes = 15 };
        _accounts = new AccountService(new Lazy<IResultsDatabase>(_store), MsOptions.Create(options), _clock);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }

    [Theory]
    [InlineData("", "--name")]
    [InlineData("-alice", "--name")]
    [InlineData("al ice", "--name")]
    [InlineData("alice", "12 to 256")]
    public async Task Bad_names_and_passwords_are_refused_without_echoing_the_password(string name, string expected)
    {
        var error = await Assert.ThrowsAsync<RequestValidationException>(() => _accounts.CreateAsync(name, AccessRole.Viewer, "short-pw", "t", CancellationToken.None));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("short-pw", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("has\ta tab in it", "control")]
    [InlineData("xxALICExxxxxxx", "user name")]
    public void Password_rules(string password, string expected) =>
        Assert.Contains(expected, Assert.Throws<RequestValidationException>(() => AccountService.ValidatePassword("alice", password)).Message, StringComparison.Ordinal);

    [Fact]
    public async Task A_created_account_signs_in_with_its_password_only_and_the_hash_is_the_frameworks()
    {
        var created = await _accounts.CreateAsync("  Alice ", AccessRole.Operator, Password, "cli:root", CancellationToken.None);
        Assert.Equal(("alice", AccessRole.Operator, false), (created.Name, created.Role, created.Disabled));
        var stored = await _store.Users.FindUserAsync("alice");
        Assert.StartsWith("AQAAAA", stored!.PasswordHash, StringComparison.Ordinal); // PasswordHasher's v3 format (0x01), base64
        Assert.DoesNotContain(Password, stored.PasswordHash, StringComparison.Ordinal);

        var login = await _accounts.LoginAsync("ALICE", Password, "10.0.0.9", CancellationToken.None);
        Assert.Equal(LoginOutcome.Succeeded, login.Outcome);
        Assert.Equal(new AccountSession("alice", AccessRole.Operator, stored.SecurityStamp), login.Session);
        Assert.Equal(LoginOutcome.Failed, (await _accounts.LoginAsync("alice", Password + "x", "10.0.0.9", CancellationToken.None)).Outcome);
        Assert.Equal(LoginOutcome.Failed, (await _accounts.LoginAsync("nobody", Password, "10.0.0.9", CancellationToken.None)).Outcome);

        var audit = await _store.GetAuditAsync(null);
        Assert.DoesNotContain(audit, e => e.DetailJson.Contains(Password, StringComparison.Ordinal) || e.DetailJson.Contains("nobody", StringComparison.Ordinal));
        Assert.Contains(audit, e => e.Event == "login_failed" && e.DetailJson.Contains("unknown user", StringComparison.Ordinal));
        Assert.Contains(audit, e => e.Event == "login_succeeded" && e.DetailJson.Contains("10.0.0.9", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Repeated_failures_lock_the_account_even_for_the_right_password_until_the_lockout_ends()
    {
        await _accounts.CreateAsync("alice", AccessRole.Viewer, Password, "t", CancellationToken.None);
        Assert.Equal(LoginOutcome.Failed, (await _accounts.LoginAsync("alice", "wrong password 1", "c", CancellationToken.None)).Outcome);
        Assert.Equal(LoginOutcome.Failed, (await _accounts.LoginAsync("alice", "wrong password 2", "c", CancellationToken.None)).Outcome);
        Assert.Equal(LoginOutcome.LockedOut, (await _accounts.LoginAsync("alice", "wrong password 3", "c", CancellationToken.None)).Outcome);
        Assert.Equal(LoginOutcome.LockedOut, (await _accounts.LoginAsync("alice", Password, "c", CancellationToken.None)).Outcome);

        _clock.Advance(TimeSpan.FromMinutes(14));
        Assert.Equal(LoginOutcome.LockedOut, (await _accounts.LoginAsync("alice", Password, "c", CancellationToken.None)).Outcome);
        _clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(LoginOutcome.Succeeded, (await _accounts.LoginAsync("alice", Password, "c", CancellationToken.None)).Outcome);

        var events = (await _store.GetAuditAsync(null)).Select(e => e.Event).Where(e => e.StartsWith("login", StringComparison.Ordinal) || e == "account_locked");
        Assert.Equal(["login_failed", "login_failed", "login_failed", "account_locked", "login_refused", "login_refused", "login_succeeded"], events);
    }

    [Fact]
    public async Task Disabling_or_a_new_password_ends_sessions_and_a_disabled_account_cannot_sign_in()
    {
        await _accounts.CreateAsync("alice", AccessRole.Admin, Password, "t", CancellationToken.None);
        var session = (await _accounts.LoginAsync("alice", Password, "c", CancellationToken.None)).Session!;
        Assert.Equal(session, await _accounts.ValidateSessionAsync("alice", session.SecurityStamp, CancellationToken.None));

        await _accounts.SetPasswordAsync("alice", "another long passphrase", "admin", CancellationToken.None);
        Assert.Null(await _accounts.ValidateSessionAsync("alice", session.SecurityStamp, CancellationToken.None));
        Assert.Equal(LoginOutcome.Failed, (await _accounts.LoginAsync("alice", Password, "c", CancellationToken.None)).Outcome);
        var second = (await _accounts.LoginAsync("alice", "another long passphrase", "c", CancellationToken.None)).Session!;

        await _accounts.SetDisabledAsync("alice", true, "admin", CancellationToken.None);
        Assert.Null(await _accounts.ValidateSessionAsync("alice", second.SecurityStamp, CancellationToken.None));
        Assert.Equal(LoginOutcome.Disabled, (await _accounts.LoginAsync("alice", "another long passphrase", "c", CancellationToken.None)).Outcome);
        await Assert.ThrowsAsync<NotFoundException>(() => _accounts.SetDisabledAsync("nobody", true, "admin", CancellationToken.None));
        await Assert.ThrowsAsync<ConflictException>(() => _accounts.CreateAsync("alice", AccessRole.Viewer, Password, "t", CancellationToken.None));
    }
}
