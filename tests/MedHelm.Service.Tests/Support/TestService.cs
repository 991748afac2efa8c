using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using MedHelm.Application.Access;
using MedHelm.Application.Hosting;
using MedHelm.Application.Models;
using MedHelm.Application.Options;
using MedHelm.Application.Ports;
using MedHelm.Core.Catalog;
using MedHelm.Gguf.TestModels;
using MedHelm.Core.Metrics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace MedHelm.Service.Tests.Support;

/// <summary>
/// The service in-process (WebApplicationFactory over the real Program) with a temporary MedHelm home and a real SQLite
/// results database in it; models are tiny generated GGUF files (read and hashed by the planner as in production)
/// served by <see cref="ScriptedLoader"/> (or, with <c>realEngine</c>, by llama.cpp through the product's own loader).
/// A second instance over the same <see cref="Home"/> is a restart.
/// </summary>
public sealed class TestService : IAsyncDisposable
{
    private readonly Factory _factory;
    private readonly bool _ownsHome;

    /// <summary>The password of the accounts <see cref="SessionClientAsync"/> creates.</summary>
    public const string Password = "test password 1234";

    /// <param name="loader">Serves the chat models; null: a <see cref="ScriptedLoader"/> answering "A".</param>
    /// <param name="home">The MedHelm home (a second instance over one home is a restart); null: a new temporary one.</param>
    /// <param name="settings">Configuration keys set on top of the home's appsettings.json.</param>
    /// <param name="realEngine">Load models with llama.cpp (the repository's runtimes/llama) instead of <paramref name="loader"/>.</param>
    /// <param name="services">Further registrations (e.g. a logger provider that collects every event).</param>
    /// <param name="kestrel">Listen on a real port (Service:Urls) instead of the in-memory test server.</param>
    public TestService(
        ScriptedLoader? loader = null,
        TempFolder? home = null,
        IReadOnlyList<(string Key, string Value)>? settings = null,
        bool realEngine = false,
        Action<IServiceCollection>? services = null,
        bool kestrel = false)
    {
        _ownsHome = home is null;
        Home = home ?? new TempFolder("medhelm-service-");
        Loader = loader ?? new ScriptedLoader();
        _factory = new Factory(Home.Path, realEngine ? null : Loader, settings ?? [], services);
        if (kestrel)
        {
            _factory.UseKestrel();
            _factory.StartServer(); // starts the host on Service:Urls (and its run queue worker)
        }
        else
        {
            _ = _factory.Server; // starts the host (and its run queue worker)
        }
    }

    /// <summary>
    /// The service with the real model loader (llama.cpp from the clone's runtimes/llama/cpu, one thread) and the given
    /// settings (e.g. a Models section); with <paramref name="kestrel"/>, listening on a real loopback port (Service:Urls).
    /// </summary>
    public static TestService WithRealModels(TempFolder home, IReadOnlyList<(string Key, string Value)> settings, bool kestrel = false) =>
        new(null, home, [("Inference:RuntimeRoot", Path.Combine(RepositoryPaths.Root, "runtimes", "llama")), ("Inference:Threads", "1"), .. settings], realEngine: true, kestrel: kestrel);

    public TempFolder Home { get; }

    public ScriptedLoader Loader { get; }

    public IServiceProvider Services => _factory.Services;

    /// <summary>The results database the service uses.</summary>
    public IResultsDatabase Database => Services.GetRequiredService<IResultsDatabase>();

    /// <summary>A client without a token.</summary>
    public HttpClient Anonymous() => _factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

    /// <summary>A client with a new token of <paramref name="role"/>.</summary>
    public async Task<HttpClient> ClientAsync(AccessRole role)
    {
        var token = await Services.GetRequiredService<ApiTokenService>().CreateAsync(role, $"test-{role}", CancellationToken.None);
        var client = Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Token);
        return client;
    }

    /// <summary>A client signed in (session cookie) as a new account <c>user-ROLE</c> of <paramref name="role"/>.</summary>
    public async Task<HttpClient> SessionClientAsync(AccessRole role)
    {
        var name = $"user-{role}".ToLowerInvariant();
        await Services.GetRequiredService<AccountService>().CreateAsync(name, role, Password, "test", CancellationToken.None);
        var client = Anonymous();
        var response = await LoginAsync(client, name, Password);
        if (response.StatusCode != System.Net.HttpStatusCode.SeeOther)
        {
            throw new InvalidOperationException($"login as {name}: {response.StatusCode}");
        }

        return client;
    }

    /// <summary>Posts the login form (with the antiforgery token of a freshly loaded login page).</summary>
    public static async Task<HttpResponseMessage> LoginAsync(HttpClient client, string name, string password, string? returnUrl = null)
    {
        var form = new Dictionary<string, string> { ["__RequestVerificationToken"] = await FormTokenAsync(client, "/login"), ["username"] = name, ["password"] = password };
        if (returnUrl is not null)
        {
            form["returnUrl"] = returnUrl;
        }

        return await client.PostAsync("/login", new FormUrlEncodedContent(form));
    }

    /// <summary>The antiforgery token of the first form on the page at <paramref name="url"/>.</summary>
    public static async Task<string> FormTokenAsync(HttpClient client, string url)
    {
        var html = await client.GetStringAsync(url);
        var match = System.Text.RegularExpressions.Regex.Match(html, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"");
        return match.Success ? System.Net.WebUtility.HtmlDecode(match.Groups[1].Value) : throw new InvalidOperationException($"no antiforgery token on {url}");
    }

    /// <summary>Writes a tiny generated GGUF model into the home and returns its path (its name is the file name).</summary>
    public string Model(string name = "tiny") => WriteModel(Home, name);

    /// <summary>The generated model <see cref="WriteModel"/> writes.</summary>
    public static TestModelSpec ModelSpec => new() { Kind = TestModelKind.Llama, Layers = 1, Embd = 32, Seed = 1 };

    /// <summary>Writes a tiny generated GGUF model named <paramref name="name"/> into <paramref name="folder"/> (once) and returns its path.</summary>
    public static string WriteModel(TempFolder folder, string name)
    {
        var path = folder.File(name + ".gguf");
        if (!File.Exists(path))
        {
            TestModelFactory.Write(ModelSpec, path);
        }

        return path;
    }

    /// <summary>Polls the run until its status is one of <paramref name="statuses"/> (within the scaled timeout).</summary>
    public static async Task<JsonElement> WaitForAsync(HttpClient client, string runId, params string[] statuses)
    {
        using var timeout = new CancellationTokenSource(TestTimeouts.Scale(TimeSpan.FromSeconds(30)));
        while (true)
        {
            var run = await client.GetFromJsonAsync<JsonElement>($"/api/v1/runs/{runId}", timeout.Token);
            if (statuses.Contains(run.GetProperty("status").GetString()))
            {
                return run;
            }

            await Task.Delay(50, timeout.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _factory.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (_ownsHome)
        {
            Home.Dispose();
        }
    }

    private sealed class Factory(string home, ScriptedLoader? loader, IReadOnlyList<(string Key, string Value)> settings, Action<IServiceCollection>? configure)
        : WebApplicationFactory<MedHelmServiceApp>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Production");
            builder.UseSetting("Service:QueuePollSeconds", "1");
            builder.UseSetting("Service:ModelFolder", home);
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }

            builder.ConfigureTestServices(services =>
            {
                services.AddSingleton(new MedHelmPaths(home, new StorageOptions()));
                if (loader is not null)
                {
                    services.AddSingleton<IModelLoader>(loader);
                }

                configure?.Invoke(services);
            });
        }
    }
}

/// <summary>
/// An <see cref="IModelLoader"/> whose chat models answer through <see cref="Answer"/> (which may wait, e.g. for a gate
/// or for cancellation), instead of loading the GGUF file with llama.cpp.
/// </summary>
public sealed class ScriptedLoader : IModelLoader
{
    private int _calls;

    /// <summary>Answers a prompt (its text, the call number from 1, the request's token).</summary>
    public Func<string, int, CancellationToken, Task<string>> Answer { get; set; } = (_, _, _) => Task.FromResult("A");

    public int Calls => Volatile.Read(ref _calls);

    public EngineDescription DescribeEngine() => new("scripted", null, 1, [], "test machine", "none");

    public Task<ModelLease<IChatClient>> LeaseChatAsync(string model, string name, AccessTier tier, ModelDefaults defaults, CancellationToken cancellationToken)
    {
        var client = new ScriptedChatClient(async (prompt, ct) =>
            ScriptedChatClient.Response(await Answer(prompt, Interlocked.Increment(ref _calls), ct), 10, 1));
        return Task.FromResult(new ModelLease<IChatClient>(client, 1, client));
    }

    public Task<ModelLease<ITokenEmbedder>> LeaseEmbedderAsync(string model, CancellationToken cancellationToken) =>
        throw new NotSupportedException("the service tests run no BERTScore");

    public Task<ModelLease<IEmbeddingGenerator<string, Embedding<float>>>> LeaseEmbeddingGeneratorAsync(string model, CancellationToken cancellationToken) =>
        throw new NotSupportedException("the scripted loader embeds nothing; the /v1 tests load real models");
}
