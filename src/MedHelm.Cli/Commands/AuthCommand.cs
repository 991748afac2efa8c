using System.CommandLine;
using System.Globalization;
using MedHelm.Application.Access;

namespace MedHelm.Cli.Commands;

/// <summary><c>medhelm auth create-token|list-tokens|revoke-token</c>: API tokens of the web service (stored hashed in the results database); accounts: <see cref="AuthUserCommands"/>.</summary>
internal static class AuthCommand
{
    public static Command Build()
    {
        var command = new Command("auth", "API tokens and dashboard accounts for the web service (`medhelm serve`).") { CreateToken(), ListTokens(), RevokeToken() };
        foreach (var user in AuthUserCommands.Build())
        {
            command.Subcommands.Add(user);
        }

        return command;
    }

    private static Command CreateToken()
    {
        var role = new Option<string>("--role") { Description = "viewer (leaderboards, status, reports without patient text), operator (and runs, imports, outputs), admin (and models, audit).", Required = true };
        role.AcceptOnlyFromAmong("viewer", "operator", "admin");
        var name = new Option<string?>("--name") { Description = "Who or what the token is for (recorded in the audit log). Default: ROLE-token." };
        var command = new Command("create-token", "Create an API token and print it once (only its SHA-256 is stored).") { role, name };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (host, token) =>
        {
            var accessRole = ApiTokenService.ParseRole(parse.GetValue(role));
            var created = await host.Service<ApiTokenService>().CreateAsync(accessRole, parse.GetValue(name) ?? $"{parse.GetValue(role)}-token", token);
            await Console.Out.WriteLineAsync(created.Token);
            await Console.Error.WriteLineAsync($"token {created.Id} ({created.Name}, {parse.GetValue(role)}) created; it is shown only now. Use it as: Authorization: Bearer <token>");
            return CommandRunner.Ok;
        }));
        return command;
    }

    private static Command RevokeToken()
    {
        var id = new Argument<string>("id") { Description = "The token's id (the 12 hex characters after mh_; see `auth list-tokens`)." };
        var command = new Command("revoke-token", "Revoke an API token: it is refused from the next request on.") { id };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (host, token) =>
        {
            if (!await host.Database.Tokens.RevokeTokenAsync(parse.GetValue(id)!, token))
            {
                throw new Application.Errors.NotFoundException("There is no such token, or it was revoked already (see `medhelm auth list-tokens`).");
            }

            await Console.Out.WriteLineAsync($"token {parse.GetValue(id)} revoked");
            return CommandRunner.Ok;
        }));
        return command;
    }

    private static Command ListTokens()
    {
        var command = new Command("list-tokens", "List the API tokens: id, role, name, created (never the secrets).");
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (host, token) =>
        {
            foreach (var t in await host.Database.Tokens.ListTokensAsync(token))
            {
                await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{t.Id}  {t.Role.ToString().ToLowerInvariant(),-8} {t.CreatedUtc:yyyy-MM-dd HH:mm:ss}  {(t.RevokedUtc is null ? "" : "revoked  ")}{t.Name}"));
            }

            return CommandRunner.Ok;
        }));
        return command;
    }
}
