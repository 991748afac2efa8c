using System.CommandLine;
using MedHelm.Hosting;
using MedHelm.Service;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace MedHelm.Cli.Commands;

/// <summary><c>medhelm serve</c>: runs the web service (MedHelm.Service) in this process until Ctrl+C or SIGTERM.</summary>
internal static class ServeCommand
{
    public static Command Build()
    {
        var urls = new Option<string?>("--urls")
        {
            Description = "Addresses to listen on, ';'-separated (default Service:Urls, http://127.0.0.1:5180). https needs Service:CertificatePath.",
        };
        var command = new Command("serve", "Run the REST API, the run queue and the health checks (see docs/service.md); every endpoint but /health/live needs an API token.")
        {
            urls,
        };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (host, token) =>
        {
            var args = parse.GetValue(urls) is { } u ? new[] { $"--Service:Urls={u}" } : [];
            var settings = new MedHelmHostSettings(host.Home, parse.GetValue(MedHelmCommandLine.Database), parse.GetValue(MedHelmCommandLine.DataFolder));
            await using var app = MedHelmServiceApp.Create(args, settings, parse.GetValue(MedHelmCommandLine.Verbose));
            await app.StartAsync(token);
            await Console.Error.WriteLineAsync($"medhelm serve: listening on {string.Join(", ", app.Urls)}, database {app.Services.GetRequiredService<MedHelm.Application.Ports.IResultsDatabase>().Location} (Ctrl+C stops; a running run stays resumable)");
            await app.WaitForShutdownAsync(token);
            return CommandRunner.Ok;
        }));
        return command;
    }
}
