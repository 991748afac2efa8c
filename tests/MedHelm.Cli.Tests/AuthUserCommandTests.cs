using MedHelm.Cli.Tests.Support;

namespace MedHelm.Cli.Tests;

/// <summary><c>medhelm auth create-user|list-users|disable-user|set-password</c> as processes over one home.</summary>
[Trait("Category", TestCategories.Slow)]
public sealed class AuthUserCommandTests
{
    private const string Password = "correct staple battery";

    [Fact]
    public async Task The_first_administrator_is_created_from_stdin_listed_disabled_and_given_a_new_password_without_any_password_in_output()
    {
        using var home = new TempHome();
        var created = await CliProcess.RunAsync(["auth", "create-user", "--name", "Admin", "--role", "admin", "--password-stdin"], home.Folder, standardInput: Password + "\n");
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Contains("account admin (admin) created", created.StdOut, StringComparison.Ordinal);

        var again = await CliProcess.RunAsync(["auth", "create-user", "--name", "admin", "--role", "viewer", "--password-stdin"], home.Folder, standardInput: Password + "\n");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("exists already", again.StdErr, StringComparison.Ordinal);
        var tooShort = await CliProcess.RunAsync(["auth", "create-user", "--name", "bob", "--role", "viewer"], home.Folder, standardInput: "short\n");
        Assert.Equal(1, tooShort.ExitCode);
        Assert.Contains("12 to 256", tooShort.StdErr, StringComparison.Ordinal);

        Assert.Equal(0, (await CliProcess.RunAsync(["auth", "disable-user", "admin"], home.Folder)).ExitCode);
        Assert.Equal(0, (await CliProcess.RunAsync(["auth", "set-password", "admin", "--password-stdin"], home.Folder, standardInput: "a second passphrase\n")).ExitCode);
        var listed = await CliProcess.RunAsync(["auth", "list-users"], home.Folder);
        Assert.Matches(@"admin\s+admin\s+disabled", listed.StdOut);
        Assert.DoesNotContain("bob", listed.StdOut, StringComparison.Ordinal);

        var audit = await CliProcess.RunAsync(["audit", "verify"], home.Folder);
        Assert.True(audit.ExitCode == 0, audit.ToString());
        foreach (var output in new[] { created, again, tooShort, listed })
        {
            Assert.DoesNotContain(Password, output.StdOut + output.StdErr, StringComparison.Ordinal);
        }
    }
}
