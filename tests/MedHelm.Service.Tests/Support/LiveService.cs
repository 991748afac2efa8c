using System.Text.Json;
using MedHelm.Application.Access;
using MedHelm.Application.Ports;
using MedHelm.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace MedHelm.Service.Tests.Support;

/// <summary>
/// The real service (<see cref="MedHelmServiceApp.Create"/>, as <c>medhelm serve</c> starts it) on Kestrel at a free
/// loopback port, over a temporary MedHelm home whose appsettings.json points at the clone's llama.cpp runtime (CPU,
/// one thread): what a browser can reach, unlike <see cref="TestService"/>'s in-memory test server.
/// </summary>
public sealed class LiveService : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LiveService(TempFolder home, WebApplication app)
    {
        Home = home;
        _app = app;
        Address = new Uri(app.Urls.Single(u => u.StartsWith("http://127.0.0.1:", StringComparison.Ordinal)));
    }

    public TempFolder Home { get; }

    /// <summary>Where it listens (http://127.0.0.1:PORT/).</summary>
    public Uri Address { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Writes the home's settings and starts the service on port 0 (Kestrel picks a free one).</summary>
    /// <param name="cluster">The Cluster section to write (given the home, e.g. to put a certificate there); null: none.</param>
    /// <param name="storage">The Storage section; null: the SQLite file data/medhelm.db under the home.</param>
    public static async Task<LiveService> StartAsync(Func<TempFolder, object>? cluster = null, object? storage = null)
    {
        var home = new TempFolder("medhelm-live-");
        var settings = new Dictionary<string, object>
        {
            ["Inference"] = new { Backend = "cpu", RuntimeRoot = RepositoryPaths.Combine("runtimes", "llama"), Threads = 1 },
            ["Storage"] = storage ?? new { DataFolder = "data", DatabaseFile = "medhelm.db" },
            ["Service"] = new { Urls = "http://127.0.0.1:0", ModelFolder = home.Path, QueuePollSeconds = 1 },
        };
        if (cluster is not null)
        {
            settings["Cluster"] = cluster(home);
        }
        home.Write("appsettings.json", JsonSerializer.Serialize(settings));
        var app = MedHelmServiceApp.Create([], new MedHelmHostSettings(home.Path));
        try
        {
            await app.StartAsync();
            return new LiveService(home, app);
        }
        catch
        {
            await app.DisposeAsync();
            home.Dispose();
            throw;
        }
    }

    /// <summary>A new API token of <paramref name="role"/> (the bearer secret).</summary>
    public async Task<string> TokenAsync(AccessRole role) =>
        (await Services.GetRequiredService<ApiTokenService>().CreateAsync(role, $"browser-{role}".ToLowerInvariant(), CancellationToken.None)).Token;

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Home.Dispose();
    }
}
