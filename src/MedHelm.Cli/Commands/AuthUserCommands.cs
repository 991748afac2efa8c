using System.CommandLine;
using System.Globalization;
using System.Text;
using MedHelm.Application.Access;
using MedHelm.Application.Errors;

namespace MedHelm.Cli.Commands;

/// <summary>
/// <c>medhelm auth create-user|list-users|disable-user|enable-user|set-password</c>: local accounts of the web service's
/// dashboard (stored in the results database with the framework's password hash; every change audited as <c>cli:OS-USER</c>).
/// </summary>
internal static class AuthUserCommands
{
    private const string RoleHelp = "viewer (leaderboards, status, reports without patient text), operator (and runs, imports, outputs), admin (and models, audit).";

    public static IEnumerable<Command> Build() => [CreateUser(), ListUsers(), SetDisabled(disable: true), SetDisabled(disable: false), SetPassword()];

    private static string Who => CommandRunner.Caller;

    private static Option<bool> PasswordStdin() =>
        new("--password-stdin") { Description = "Read the password from the first line of standard input (for scripts). Without it, a terminal is asked twice, without echo." };

    private static Command CreateUser()
    {
        var name = new Option<string>("--name") { Description = "The user name: 1 to 64 of a-z, 0-9, '.', '_', '-', '@' (stored lower case).", Required = true };
        var role = new Option<string>("--role") { Description = RoleHelp, Required = true };
        role.AcceptOnlyFromAmong("viewer", "operator", "admin");
        var stdin = PasswordStdin();
        var command = new Command(
            "create-user",
            $"Create a dashboard account (the first administrator: --role admin). The password ({AccountService.MinPasswordLength}+ characters) is asked for, never taken as an argument.")
            { name, role, stdin };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (host, token) =>
        {
            var userName = AccountService.NormalizeName(parse.GetValue(name));
            var password = ReadPassword(parse.GetValue(stdin), confirm: true);
            var created = await host.Service<AccountService>().CreateAsync(userName, ApiTokenService.ParseRole(parse.GetValue(role)), password, Who, token);
            await Console.Out.WriteLineAsync($"account {created.Name} ({Role(created.Role)}) created; sign in at the service's /login page");
            return CommandRunner.Ok;
        }));
        return command;
    }

    private static Command ListUsers()
    {
        var command = new Command("list-users", "List the dashboard accounts: name, role, state, created, last login (never a password or hash).");
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (host, token) =>
        {
            foreach (var u in await host.Service<AccountService>().ListAsync(token))
            {
                var state = u.Disabled ? "disabled" : u.LockedUntilUtc > DateTimeOffset.UtcNow ? $"locked until {u.LockedUntilUtc:yyyy-MM-dd HH:mm:ss}Z" : "active";
                await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{u.Name,-24} {Role(u.Role),-8} {state,-10} created {u.CreatedUtc:yyyy-MM-dd HH:mm:ss}  last login {(u.LastLoginUtc is { } at ? at.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "never")}"));
            }

            return CommandRunner.Ok;
        }));
        return command;
    }

    private static Command SetDisabled(bool disable)
    {
        var name = new Argument<string>("name") { Description = "The user name (see `auth list-users`)." };
        var command = disable
            ? new Command("disable-user", "Disable an account: it cannot sign in, and its open sessions end at their next request.") { name }
            : new Command("enable-user", "Enable a disabled account again.") { name };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (host, token) =>
        {
            await host.Service<AccountService>().SetDisabledAsync(parse.GetValue(name)!, disable, Who, token);
            await Console.Out.WriteLineAsync($"account {AccountService.NormalizeName(parse.GetValue(name))} {(disable ? "disabled" : "enabled")}");
            return CommandRunner.Ok;
        }));
        return command;
    }

    private static Command SetPassword()
    {
        var name = new Argument<string>("name") { Description = "The user name (see `auth list-users`)." };
        var stdin = PasswordStdin();
        var command = new Command("set-password", "Set a new password: the lockout and failure count are cleared and the account's open sessions end.") { name, stdin };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (host, token) =>
        {
            var userName = AccountService.NormalizeName(parse.GetValue(name));
            await host.Service<AccountService>().SetPasswordAsync(userName, ReadPassword(parse.GetValue(stdin), confirm: true), Who, token);
            await Console.Out.WriteLineAsync($"password of {userName} changed");
            return CommandRunner.Ok;
        }));
        return command;
    }

    /// <summary>The first line of standard input (with --password-stdin, or when input is not a terminal); else asked twice on the terminal without echo.</summary>
    /// <exception cref="RequestValidationException">Nothing on standard input, or the two entries differ.</exception>
    private static string ReadPassword(bool fromStdin, bool confirm)
    {
        if (fromStdin || Console.IsInputRedirected)
        {
            return Console.In.ReadLine() ?? throw new RequestValidationException("--password-stdin: standard input is empty; write the password as its first line.");
        }

        var password = Prompt("Password: ");
        if (confirm && Prompt("Repeat the password: ") != password)
        {
            throw new RequestValidationException("The two passwords differ.");
        }

        return password;
    }

    private static string Prompt(string label)
    {
        Console.Error.Write(label);
        var text = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true); // no echo
            if (key.Key == ConsoleKey.Enter)
            {
                Console.Error.WriteLine();
                return text.ToString();
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                text.Length = Math.Max(0, text.Length - 1);
            }
            else if (!char.IsControl(key.KeyChar))
            {
                text.Append(key.KeyChar);
            }
        }
    }

    private static string Role(Application.Ports.AccessRole role) => role.ToString().ToLowerInvariant();
}
