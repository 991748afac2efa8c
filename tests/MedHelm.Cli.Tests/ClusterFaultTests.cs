using System.Diagnostics;
using System.Text.Json;
using MedHelm.Cli.Tests.Support;
using MedHelm.Gguf.TestModels;
using Xunit.Abstractions;

namespace MedHelm.Cli.Tests;

/// <summary>
/// The fault tests of issue 21 with real processes: three <c>medhelm serve</c> servers (Orleans silos, Redis
/// membership, TLS, one throwaway PostgreSQL database) run one evaluation of a generated model queued on the first; one
/// server is killed, one frozen past the membership timeout and thawed, or PostgreSQL is restarted, mid-run. Each run
/// must complete with every instance stored exactly once and equal the same run on a single server (<c>medhelm run</c>
/// over SQLite): greedy decoding, Determinism BatchInvariant.
/// </summary>
[Trait("Category", TestCategories.Slow)]
public sealed class ClusterFaultTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>The closed benchmarks with bundled excerpts: 75 test instances, 15 shards of 5.</summary>
    private static readonly string[] Benchmarks = ["head_qa", "medbullets", "pubmed_qa", "race_based_med", "medhallu"];

    private const int Instances = 75;

    private static readonly Lazy<Task<RunSnapshot>> Reference = new(ReferenceRunAsync);

    [Fact]
    public async Task A_server_killed_while_it_holds_shards_loses_them_to_the_others_and_the_run_equals_the_single_server_run()
    {
        var postgres = await PostgresTestServer.Shared;
        var database = await postgres.CreateDatabaseAsync("faults");
        await using var cluster = await StartClusterAsync(postgres.ConnectionString(database));
        // a server other than the run's own holds leased shards: kill -9 it; the membership declares it dead and its
        // leases go back to the pool at once
        var (victim, victimShards) = await FaultAHolderUntilTheRunCompletesAsync(cluster, "killed", n => n.Kill(), "killed");
        var survivors = cluster.Nodes.Where(n => n != victim).ToArray();
        // every server took part (the killed one held shards, the others executed some), and a survivor executed a
        // shard the killed one held
        Assert.All(survivors, n => Assert.True(n.Executed(), $"server {n.Index} executed no shard"));
        Assert.Contains(victimShards, s => survivors.Any(n => n.Executed(s)));

        await AssertStoredOnceAndEqualToReferenceAsync(postgres, database, cluster.Nodes[0], "killed");
    }

    [Fact]
    public async Task A_server_frozen_past_the_membership_timeout_loses_its_shards_and_once_thawed_changes_nothing_stored()
    {
        var postgres = await PostgresTestServer.Shared;
        var database = await postgres.CreateDatabaseAsync("faults");
        await using var cluster = await StartClusterAsync(postgres.ConnectionString(database));
        var (victim, _) = await FaultAHolderUntilTheRunCompletesAsync(cluster, "frozen", n => n.Freeze(), "froze");
        Assert.False(victim.Process.Process.HasExited, "the frozen server exited before it was thawed");
        await AssertStoredOnceAndEqualToReferenceAsync(postgres, database, cluster.Nodes[0], "frozen");
        var before = await StoredRowsAsync(postgres, database);

        // thawed, it finds itself declared dead; whatever it still writes changes nothing stored, and the others go on
        victim.Continue();
        var thawed = Stopwatch.StartNew();
        var limit = TestTimeouts.Scale(TimeSpan.FromSeconds(20));
        while (!victim.Process.Process.HasExited && thawed.Elapsed < limit)
        {
            await Task.Delay(250);
        }

        cluster.Log(victim.Process.Process.HasExited
            ? $"thawed server exited with {victim.Process.Process.ExitCode} after {thawed.Elapsed.TotalSeconds:0.0} s"
            : $"thawed server still running after {thawed.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal(before, await StoredRowsAsync(postgres, database));
        foreach (var node in cluster.Nodes.Where(n => n != victim))
        {
            Assert.False(node.Process.Process.HasExited, $"server {node.Index} exited:\n{node.Output()}");
            using var client = new HttpClient { BaseAddress = node.Address };
            Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        }

        var silos = await cluster.ActiveSilosAsync();
        Assert.DoesNotContain(silos, victim.Owns);
        Assert.Equal(2, silos.Length);
    }

    [Fact]
    public async Task PostgreSQL_restarted_mid_run_pauses_the_run_which_then_completes_with_nothing_lost_or_twice()
    {
        using var postgres = await PostgresTestServer.StartPrivateAsync(); // restarted by this test: not the shared one
        var database = await postgres.CreateDatabaseAsync("faults");
        await using var cluster = await StartClusterAsync(postgres.ConnectionString(database));
        var clock = Stopwatch.StartNew();
        await cluster.QueueAsync("restarted", Benchmarks);

        // once results are being stored, stop PostgreSQL for a few seconds
        var stored = 0;
        var deadline = TestTimeouts.Scale(TimeSpan.FromSeconds(120));
        while (stored == 0 && clock.Elapsed < deadline)
        {
            await Task.Delay(200);
            stored = int.Parse((await postgres.PsqlAsync(database, "SELECT COUNT(*) FROM run_completions WHERE run_id = 'restarted'"))[0], System.Globalization.CultureInfo.InvariantCulture);
        }

        Assert.InRange(stored, 1, Instances - 10);
        await postgres.StopAsync();
        var stoppedAt = clock.Elapsed;
        await Task.Delay(TimeSpan.FromSeconds(5));
        await postgres.ResumeAsync();
        cluster.Log($"{stoppedAt.TotalSeconds:0.0} s: PostgreSQL stopped with {stored} results stored, started again {(clock.Elapsed - stoppedAt).TotalSeconds:0.0} s later");

        await cluster.WaitForRunAsync("restarted", 300);
        cluster.Log($"run completed {clock.Elapsed.TotalSeconds:0.0} s after it was queued");
        Assert.All(cluster.Nodes, n => Assert.False(n.Process.Process.HasExited, $"server {n.Index} exited:\n{n.Output()}"));
        // the writes in flight waited for the server (no shard failed and was redone: each logs an error if it does)
        var failed = cluster.Nodes.SelectMany(n => n.Output().Split('\n'))
            .Where(l => l.Contains(": shard ", StringComparison.Ordinal) && l.Contains(" failed (", StringComparison.Ordinal)).ToArray();
        Assert.True(failed.Length == 0, string.Join('\n', failed));
        await AssertStoredOnceAndEqualToReferenceAsync(postgres, database, cluster.Nodes[0], "restarted");
    }

    /// <summary>
    /// Queues the run on the first server, waits until another server holds leased shards of it, does
    /// <paramref name="fault"/> to that server, waits until the membership declared it dead and its leases are
    /// released, then until the run completed; returns the server and the shards it held.
    /// </summary>
    private static async Task<(ServeNode Victim, string[] Shards)> FaultAHolderUntilTheRunCompletesAsync(
        ServeCluster cluster, string runId, Action<ServeNode> fault, string what)
    {
        var clock = Stopwatch.StartNew();
        await cluster.QueueAsync(runId, Benchmarks);
        var (victim, shards) = await cluster.HolderOtherThanOwnerAsync(runId);
        fault(victim);
        var at = clock.Elapsed;
        cluster.Log($"{at.TotalSeconds:0.0} s: {what} server {victim.Index} holding {string.Join(", ", shards)}");
        await cluster.WaitUntilGoneAsync(victim, runId);
        cluster.Log($"declared dead and its leases released {(clock.Elapsed - at).TotalSeconds:0.0} s after");
        await cluster.WaitForRunAsync(runId, 300);
        cluster.Log($"run completed {clock.Elapsed.TotalSeconds:0.0} s after it was queued");
        return (victim, shards);
    }

    private Task<ServeCluster> StartClusterAsync(string connectionString) => ServeCluster.StartAsync(3, connectionString, Models(WriteModel()), output);

    /// <summary>0 lost, 0 duplicated (one run link, completion and score per instance), and the results and leaderboard of the single-server run.</summary>
    private static async Task AssertStoredOnceAndEqualToReferenceAsync(PostgresTestServer postgres, string database, ServeNode node, string runId)
    {
        Assert.Equal([$"{Instances}|{Instances}"], await postgres.PsqlAsync(database,
            $"SELECT COUNT(*) || '|' || COUNT(DISTINCT model || '|' || benchmark || '|' || instance_id) FROM run_completions WHERE run_id = '{runId}'"));
        Assert.Equal([$"{Instances}"], await postgres.PsqlAsync(database, "SELECT COUNT(*) FROM completions"));
        Assert.Equal([$"{Instances}"], await postgres.PsqlAsync(database, "SELECT COUNT(*) FROM requests"));
        Assert.Equal([$"{Instances}"], await postgres.PsqlAsync(database, $"SELECT COUNT(*) FROM scores WHERE run_id = '{runId}'"));
        var reference = await Reference.Value;
        var sharded = await ShowAsync(node.Home, runId);
        Assert.Equal("completed", sharded.Status);
        Assert.Equal(reference.Results, sharded.Results);
        Assert.Equal(reference.Leaderboard, sharded.Leaderboard);
    }

    /// <summary>Every stored row of the results that a late writer could touch, in a stable order.</summary>
    private static Task<List<string>> StoredRowsAsync(PostgresTestServer postgres, string database) =>
        postgres.PsqlAsync(database,
            """
            SELECT t FROM (
                SELECT 'link|' || l::text AS t FROM run_completions l
                UNION ALL SELECT 'completion|' || c::text FROM completions c
                UNION ALL SELECT 'request|' || r::text FROM requests r
                UNION ALL SELECT 'score|' || s::text FROM scores s) stored ORDER BY t
            """);

    /// <summary>The same run on one server: <c>medhelm run</c> over SQLite, computed once for the test class.</summary>
    private static async Task<RunSnapshot> ReferenceRunAsync()
    {
        using var folder = new TempFolder("medhelm-faults-model-");
        using var home = new TempHome(Models(WriteModelInto(folder)));
        var run = await CliProcess.RunAsync(["run", "--samples", "--benchmarks", string.Join(',', Benchmarks), "--models", "m", "--jury", "none", "--run-id", "reference"], home.Folder);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"{Instances} computed, 0 reused", run.StdOut, StringComparison.Ordinal);
        return await ShowAsync(home, "reference");
    }

    private static async Task<RunSnapshot> ShowAsync(TempHome home, string runId)
    {
        var shown = await CliProcess.RunAsync(["runs", "show", runId, "--json"], home.Folder);
        Assert.True(shown.ExitCode == 0, shown.ToString());
        using var json = JsonDocument.Parse(shown.StdOut);
        var root = json.RootElement;
        return new RunSnapshot(
            root.GetProperty("run").GetProperty("status").GetString()!,
            [.. root.GetProperty("results").EnumerateArray().Select(r => string.Join("|",
                r.GetProperty("model").GetString(), r.GetProperty("benchmark").GetString(), r.GetProperty("instance_id").GetString(),
                r.GetProperty("request_key").GetString(), r.GetProperty("metric").GetString(), r.GetProperty("score").GetDouble(),
                r.GetProperty("output_sha256").GetString(), r.GetProperty("prompt_tokens").GetRawText(), r.GetProperty("completion_tokens").GetRawText()))
                .Order(StringComparer.Ordinal)],
            [.. root.GetProperty("leaderboard").EnumerateArray().Select(r => string.Join("|",
                r.GetProperty("model").GetString(), r.GetProperty("benchmark").GetString(), r.GetProperty("score").GetDouble(),
                r.GetProperty("instances").GetInt32(), r.GetProperty("prompt_tokens").GetRawText(), r.GetProperty("completion_tokens").GetRawText()))
                .Order(StringComparer.Ordinal)]);
    }

    /// <summary>
    /// The model <c>m</c> and the engine settings: with the batch-invariant CPU library (scripts/install-runtime.sh
    /// --invariant) the defaults (8 sequences, prefix reuse, Determinism BatchInvariant) give each answer independently
    /// of its batch; without it only one sequence without prefix reuse does (as in <see cref="RunResumeTests"/>).
    /// </summary>
    private static object Models(string model) => InvariantRuntime.Missing() is null
        ? new { InvariantRuntime.Inference, Models = new Dictionary<string, object> { ["m"] = new { File = model, ContextPerSequence = 2048 } } }
        : new { Models = new Dictionary<string, object> { ["m"] = new { File = model, Sequences = 1, ContextPerSequence = 2048, PrefixReuse = false } } };

    private TempFolder? _modelFolder;

    private string WriteModel() => WriteModelInto(_modelFolder ??= new TempFolder("medhelm-faults-model-"));

    /// <summary>The generated model (2 layers, the same bytes every time): each server and the reference read one copy.</summary>
    private static string WriteModelInto(TempFolder folder)
    {
        var path = folder.PathOf("m.gguf");
        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Llama, Layers = 2, Embd = 128, Seed = 7 }, path);
        return path;
    }

    public void Dispose() => _modelFolder?.Dispose();

    private sealed record RunSnapshot(string Status, List<string> Results, List<string> Leaderboard);
}
