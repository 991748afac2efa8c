using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Xunit.Abstractions;

namespace MedHelm.Cli.Tests.Support;

/// <summary>
/// Several real <c>medhelm serve</c> processes (each its own MedHelm home, HTTP, silo and gateway ports) forming one
/// Orleans cluster over one PostgreSQL database and one Redis membership (a throwaway redis-server of its own), with one
/// cluster certificate; the generated
/// model <c>m</c> at one path for all. Only the first server polls the run queue often (the others every hour), so a run
/// queued on it is executed (owned) by it: the others only execute its shards.
/// </summary>
public sealed class ServeCluster : IAsyncDisposable
{
    private readonly List<ServeNode> _nodes;
    private readonly RedisServer _redis;
    private readonly ITestOutputHelper _output;

    private ServeCluster(List<ServeNode> nodes, RedisServer redis, string token, ITestOutputHelper output)
    {
        _nodes = nodes;
        _redis = redis;
        _output = output;
        Operator = new HttpClient { BaseAddress = nodes[0].Address, Timeout = TestTimeouts.Scale(TimeSpan.FromSeconds(20)) };
        Operator.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    /// <summary>The servers; the first owns the runs queued on it.</summary>
    public IReadOnlyList<ServeNode> Nodes => _nodes;

    /// <summary>An operator's client of the first server.</summary>
    public HttpClient Operator { get; }

    /// <summary>
    /// The cluster's settings beyond the ports, certificate and stores: small shards, fast failure detection, and leases
    /// (60 s, the default) longer than it takes to declare a frozen server dead (about 25 s here), so that shards move
    /// by the membership's verdict, not by their leases' expiry.
    /// </summary>
    public static object Tuning => new { ShardSize = 5, MaxShardsPerSilo = 2, ShardLeaseSeconds = 60, ProbeTimeoutSeconds = 2, MissedProbesLimit = 3 };

    /// <summary>Starts a Redis and <paramref name="count"/> servers over the database, and waits until each silo reports itself.</summary>
    /// <param name="models">The <c>Inference</c> and <c>Models</c> settings every server (and the reference run) uses.</param>
    public static async Task<ServeCluster> StartAsync(int count, string connectionString, object models, ITestOutputHelper output)
    {
        var clusterId = "faults-" + Guid.NewGuid().ToString("N")[..8];
        var nodes = new List<ServeNode>();
        var redis = await RedisServer.StartAsync();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var home = new TempHome(models);
                nodes.Add(new ServeNode(i, home, FreePort(), FreePort()));
                var settings = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(File.ReadAllText(home.PathOf("appsettings.json")))!;
                var section = JsonSerializer.SerializeToElement(Tuning).EnumerateObject().ToDictionary(p => p.Name, p => (object)p.Value);
                section["ClusterId"] = clusterId;
                section["MembershipConnection"] = redis.Connection;
                section["SiloPort"] = nodes[i].SiloPort;
                section["GatewayPort"] = nodes[i].GatewayPort;
                section["AdvertisedAddress"] = "127.0.0.1";
                section["CertificatePath"] = "cluster.pfx";
                section["CertificatePasswordFile"] = "cluster.pass";
                settings["Cluster"] = JsonSerializer.SerializeToElement(section);
                settings["Storage"] = JsonSerializer.SerializeToElement(new { DataFolder = "data", Provider = "postgres", ConnectionString = connectionString });
                settings["Service"] = JsonSerializer.SerializeToElement(new { Urls = "http://127.0.0.1:0", QueuePollSeconds = i == 0 ? 1 : 3600 });
                File.WriteAllText(home.PathOf("appsettings.json"), JsonSerializer.Serialize(settings));
            }

            WriteCertificate(nodes.Select(n => n.Home));
            var token = await CliProcess.RunAsync(["auth", "create-token", "--role", "operator", "--name", "faults"], nodes[0].Home.Folder, timeoutSeconds: 120);
            Assert.True(token.ExitCode == 0, token.ToString());
            await Task.WhenAll(nodes.Select(n => n.StartAsync()));
            var cluster = new ServeCluster(nodes, redis, token.StdOut.Trim(), output);
            await cluster.WaitForSilosAsync(count);
            return cluster;
        }
        catch
        {
            foreach (var node in nodes)
            {
                node.Dispose();
            }

            redis.Dispose();
            throw;
        }
    }

    /// <summary>GET /api/v1/cluster on the first server.</summary>
    public async Task<JsonElement> ClusterAsync() => await Operator.GetFromJsonAsync<JsonElement>("/api/v1/cluster");

    /// <summary>The silo ids the first server lists as active.</summary>
    public async Task<string[]> ActiveSilosAsync() =>
        [.. (await ClusterAsync()).GetProperty("silos").EnumerateArray().Select(s => s.GetProperty("siloId").GetString()!)];

    /// <summary>The shards of <paramref name="runId"/> in flight now, as (shard id, silo id); empty when the run is not being sharded.</summary>
    public static (string Shard, string Silo)[] InFlight(JsonElement cluster, string runId) =>
        [.. cluster.GetProperty("runs").EnumerateArray().Where(r => r.GetProperty("runId").GetString() == runId)
            .SelectMany(r => r.GetProperty("inFlight").EnumerateArray())
            .Select(l => (l.GetProperty("shardId").GetString()!, l.GetProperty("siloId").GetString()!))];

    /// <summary>A server other than the first (the run's own) that holds leased shards of <paramref name="runId"/> now, and those shards.</summary>
    public Task<Tuple<ServeNode, string[]>> HolderOtherThanOwnerAsync(string runId) =>
        PollAsync(view =>
        {
            var inFlight = InFlight(view, runId);
            var node = _nodes.Skip(1).FirstOrDefault(n => inFlight.Any(l => n.Owns(l.Silo)));
            return node is null ? null : Tuple.Create(node, inFlight.Where(l => node.Owns(l.Silo)).Select(l => l.Shard).ToArray());
        }, "a lease held by a server other than the run's", 120);

    /// <summary>Waits until the membership no longer lists <paramref name="node"/>'s silo and no shard of <paramref name="runId"/> is leased to it.</summary>
    public Task WaitUntilGoneAsync(ServeNode node, string runId) =>
        PollAsync(view =>
            view.GetProperty("silos").EnumerateArray().Any(s => node.Owns(s.GetProperty("siloId").GetString()!)) || InFlight(view, runId).Any(l => node.Owns(l.Silo))
                ? null : "",
            $"server {node.Index} declared dead and its leases released", 90);

    /// <summary>Queues a run of the model <c>m</c> over <paramref name="benchmarks"/> (bundled samples, no jury) on the first server.</summary>
    public async Task QueueAsync(string runId, string[] benchmarks)
    {
        using var created = await Operator.PostAsJsonAsync(
            "/api/v1/runs", new { models = new[] { "m" }, benchmarks, samples = true, jury = new[] { "none" }, runId });
        Assert.True(created.StatusCode == System.Net.HttpStatusCode.Accepted, await created.Content.ReadAsStringAsync());
    }

    /// <summary>
    /// Polls the first server's cluster view until <paramref name="until"/> picks something (a call that fails, e.g. while
    /// a frozen silo holds a grain, is retried); fails with <paramref name="what"/> past the scaled limit.
    /// </summary>
    public async Task<T> PollAsync<T>(Func<JsonElement, T?> until, string what, int timeoutSeconds)
        where T : class
    {
        var deadline = Stopwatch.StartNew();
        var limit = TestTimeouts.Scale(TimeSpan.FromSeconds(timeoutSeconds));
        string last = "no answer yet";
        while (deadline.Elapsed < limit)
        {
            try
            {
                var view = await ClusterAsync();
                last = view.GetRawText();
                if (until(view) is { } found)
                {
                    return found;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
            {
                last = e.GetType().Name + ": " + e.Message;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"{what} did not happen in {limit.TotalSeconds:0} s; the last cluster view: {last}");
    }

    /// <summary>Polls the run on the first server until it is completed (or failed: then the test fails with the servers' logs).</summary>
    public async Task<JsonElement> WaitForRunAsync(string runId, int timeoutSeconds)
    {
        var limit = TestTimeouts.Scale(TimeSpan.FromSeconds(timeoutSeconds));
        var clock = Stopwatch.StartNew();
        JsonElement run = default;
        while (clock.Elapsed < limit)
        {
            try
            {
                run = await Operator.GetFromJsonAsync<JsonElement>($"/api/v1/runs/{runId}");
                var status = run.GetProperty("status").GetString();
                Assert.True(status != "failed" && status != "cancelled", $"run {runId} {status}: {run}\n{Logs()}");
                if (status == "completed")
                {
                    return run;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // the owner is busy; ask again
            }

            await Task.Delay(250);
        }

        throw new TimeoutException($"run {runId} did not complete in {limit.TotalSeconds:0} s: {run}\n{Logs()}");
    }

    /// <summary>Every server's output so far (for failure messages).</summary>
    public string Logs() => string.Join("\n", _nodes.Select(n => $"--- server {n.Index} (silo port {n.SiloPort}) ---\n{n.Output()}"));

    public void Log(string line) => _output.WriteLine(line);

    public async ValueTask DisposeAsync()
    {
        Operator.Dispose();
        foreach (var node in _nodes)
        {
            node.Continue(); // a frozen one must be able to die
            node.Dispose();
        }

        _redis.Dispose();
        await Task.CompletedTask;
    }

    private async Task WaitForSilosAsync(int count)
    {
        await PollAsync(v => v.GetProperty("silos").GetArrayLength() >= count ? "" : null, $"{count} silos reporting", 90);
    }

    private static void WriteCertificate(IEnumerable<TempHome> homes)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = new CertificateRequest("CN=medhelm-cluster", key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var pfx = certificate.Export(X509ContentType.Pkcs12, "pfx password");
        foreach (var home in homes)
        {
            File.WriteAllBytes(home.PathOf("cluster.pfx"), pfx);
            File.WriteAllText(home.PathOf("cluster.pass"), "pfx password\n");
        }
    }

    private static int FreePort() => RedisServer.FreePort();
}

/// <summary>One <c>medhelm serve</c> process of a <see cref="ServeCluster"/>.</summary>
public sealed class ServeNode(int index, TempHome home, int siloPort, int gatewayPort) : IDisposable
{
    private RunningCli? _process;

    public int Index { get; } = index;

    public TempHome Home { get; } = home;

    public int SiloPort { get; } = siloPort;

    public int GatewayPort { get; } = gatewayPort;

    public Uri Address { get; private set; } = null!;

    public RunningCli Process => _process ?? throw new InvalidOperationException("not started");

    /// <summary>True for a silo id of this server (<c>127.0.0.1:SILOPORT@GENERATION</c>).</summary>
    public bool Owns(string siloId) => siloId.StartsWith(string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{SiloPort}@"), StringComparison.Ordinal);

    public async Task StartAsync()
    {
        _process = RunningCli.Start(["serve"], Home.Folder);
        var line = await _process.WaitForLineAsync(l => l.Contains("listening on", StringComparison.Ordinal), 120);
        Address = new Uri(line.Split("listening on ")[1].Split(',')[0].Trim());
    }

    /// <summary>SIGKILL: nothing of the process runs any more (its engine workers see their pipe close).</summary>
    public void Kill() => Process.Kill();

    /// <summary>SIGSTOP: the process freezes with its connections open.</summary>
    public void Freeze() => Signal("STOP");

    /// <summary>SIGCONT.</summary>
    public void Continue()
    {
        if (_process is { Process.HasExited: false })
        {
            Signal("CONT");
        }
    }

    /// <summary>What the process printed so far (warnings and errors).</summary>
    public string Output() => _process?.Snapshot() ?? "";

    /// <summary>
    /// True when the server's log file (compact JSON, information and above) records a shard it executed: any, or
    /// <paramref name="shard"/>.
    /// </summary>
    public bool Executed(string? shard = null) =>
        Directory.EnumerateFiles(Home.Folder, "medhelm-*.json", SearchOption.AllDirectories)
            .SelectMany(ReadShared)
            .Any(l => l.Contains("executed ({Computed}", StringComparison.Ordinal) && (shard is null || l.Contains($"\"Shard\":\"{shard}\"", StringComparison.Ordinal)));

    private static string[] ReadShared(string file)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n');
    }

    public void Dispose()
    {
        _process?.Dispose();
        Home.Dispose();
    }

    private void Signal(string signal)
    {
        using var kill = System.Diagnostics.Process.Start(new ProcessStartInfo("kill", [$"-{signal}", Process.Process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }
}
