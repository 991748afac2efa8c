using MedHelm.Application.Ports;
using MedHelm.Application.Runs;
using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.Jury;
using MedHelm.Evaluation.Ledger;
using MedHelm.Evaluation.Results;
using MedHelm.Storage;

namespace MedHelm.Application.Tests.Reports;

/// <summary>A results database in a fresh temp folder, deleted on dispose; data goes in only through the ports.</summary>
public sealed class TempResults : IAsyncDisposable
{
    private readonly TempFolder _folder;

    private TempResults(TempFolder folder, SqliteResultStore store) => (_folder, Store) = (folder, store);

    public string Root => _folder.Path;

    public SqliteResultStore Store { get; }

    public static async Task<TempResults> CreateAsync()
    {
        var folder = new TempFolder("medhelm-reports-");
        return new TempResults(folder, await SqliteResultStore.OpenAsync(folder.PathOf("data", "results.sqlite")));
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        _folder.Dispose();
    }
}

/// <summary>Builds stored runs through the ports: imports, a run with its manifest, ledger entries, jury outcomes, audit.</summary>
public static class StoredRuns
{
    public const string Started = "2025-06-01T12:00:00Z";

    public static BenchmarkInstance Instance(string id, string gold, string? subRun = null, bool synthetic = false)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (subRun is not null)
        {
            metadata[MetadataKeys.Subset] = subRun;
        }

        if (synthetic)
        {
            metadata[MetadataKeys.Synthetic] = "true";
        }

        return new BenchmarkInstance(id, new Dictionary<string, string> { ["note"] = "note of " + id }, "Question " + id + "?", [], gold, "test") { Metadata = metadata };
    }

    /// <summary>Stores an import and returns its manifest entry (dataset hash from the store).</summary>
    public static async Task<ManifestBenchmark> ImportAsync(
        SqliteResultStore store, string benchmark, string source, IReadOnlyList<BenchmarkInstance> instances, string? data = null, AccessTier access = AccessTier.Public)
    {
        var files = new[] { new SourceFileInfo(benchmark + "-" + source.Replace('/', '_') + ".jsonl", new string('f', 64), 100 + instances.Count) };
        var outcome = await store.StoreDatasetAsync(new ImportedDataset(benchmark, instances, files), access, source);
        var definition = BuiltInBenchmarks.Find(benchmark);
        return new ManifestBenchmark(benchmark, outcome.SourceSha256, source, "test", instances.Count, definition?.MainMetric ?? "exact_match", definition?.MaxTokens ?? 1, ["\n"])
        {
            Data = data,
        };
    }

    public static RunManifest Manifest(IReadOnlyList<string> models, IReadOnlyList<ManifestBenchmark> benchmarks, IReadOnlyList<string>? jury = null) => new(
        new RunPlan(null, benchmarks.Select(b => b.Name).ToArray(), models, jury ?? [], null, "corrected"),
        "medhelm-ledger-key/1",
        new ManifestDecoding(0, 0, 0, true),
        models.Select(m => new ManifestModel(
            m, m + ".gguf", "/models/" + m + ".gguf", null, new string('a', 64), 1234, "llama", "Q4_K_M", 1000,
            new ManifestModelSettings(0, 0, [], null, 1, 4096, 2048, 512, false, new Dictionary<string, string>()))).ToArray(),
        jury ?? [],
        benchmarks,
        [new ManifestSkipped("medcalc_bench", "not imported")],
        new ManifestEngine("cpu", "v0.5.0", 2, ["CPU [Cpu]"]))
    {
        ManifestVersion = RunManifest.CurrentVersion,
    };

    public static async Task SaveRunAsync(SqliteResultStore store, string runId, string configurationJson, DateTimeOffset? started = null)
    {
        var at = started ?? DateTimeOffset.Parse(Started, System.Globalization.CultureInfo.InvariantCulture);
        await store.SaveRunAsync(new RunRecord(runId, at, at.AddMinutes(5), configurationJson, "1.0.0+abc", "v0.5.0", "test-host; 2 cores", RunStatus.Completed)
        {
            GpuDescription = "none",
        });
        foreach (var model in new[] { "m1", "m2" })
        {
            await store.RegisterModelAsync(new StoredModel(model, "/models/" + model + ".gguf", new string('a', 64), 1234, "llama", "Q4_K_M", 1000));
        }
    }

    /// <summary>One ledger entry: a request of <paramref name="model"/> on an instance, its completion and its scores.</summary>
    public static LedgerEntry Entry(
        string runId, string model, ManifestBenchmark benchmark, string instanceId, IReadOnlyList<MetricScore> scores, string output = "A", double elapsedMs = 100) => new(
        runId,
        new LedgerRequest(
            $"key/{model}/{benchmark.Name}/{benchmark.DatasetSha256[..8]}/{instanceId}", model, "sha256:" + new string('a', 64), benchmark.Name, benchmark.DatasetSha256,
            instanceId, new string('t', 64), new string('p', 64), "temperature:1:0\n", 0, 0, "gold"),
        new LedgerCompletion(output, null, "EndOfGeneration", 100, 2, 0, 0, 1, 10, 11, 2, elapsedMs),
        CompletionOrigin.Computed,
        scores);

    public static async Task RecordAsync(SqliteResultStore store, IEnumerable<LedgerEntry> entries)
    {
        await using var ledger = store.OpenLedger();
        foreach (var entry in entries)
        {
            await ledger.RecordAsync(entry);
        }

        await ledger.FlushAsync();
    }

    public static JudgeOutcome Verdict(string judge, int accuracy, int completeness, int clarity) => new(
        judge,
        new JudgeVerdict(new Dictionary<string, CriterionRating>
        {
            ["accuracy"] = new(accuracy, "a"),
            ["completeness"] = new(completeness, "c"),
            ["clarity"] = new(clarity, "l"),
        }),
        null,
        [new JudgeAttempt(1, null, 10, 10, TimeSpan.FromSeconds(1))],
        "{}");

    public static JudgeOutcome Failure(string judge) =>
        new(judge, null, "invalid JSON at line 1, byte 3", [new JudgeAttempt(1, "invalid JSON at line 1, byte 3", 10, 10, TimeSpan.FromSeconds(1))], "?");

    /// <summary>
    /// run-1: models m1 and m2; pubmed_qa on its bundled public excerpt (m1 0.5, m2 0.75), CLEAR on its bundled synthetic
    /// stand-in with two sub-runs (m1: 1/3 and 1 → 2/3, pooled 1/2; m2: 1 and 0 → 1/2, pooled 3/4), MedEC imported
    /// (m1 1.0, sentence accuracy 0.5 and 0 → 0.25) and MedDialog imported with two sub-runs and a jury of two judges
    /// (m1 0.5 and 1 → 0.75, pooled 2/3; the second judge failed once).
    /// </summary>
    public static async Task<Fixture> StoreRunAsync(SqliteResultStore store, string runId = "run-1")
    {
        var pubmed = await ImportAsync(store, "pubmed_qa", "bundled:pubmed_qa",
            [Instance("p1", "yes"), Instance("p2", "no"), Instance("p3", "maybe"), Instance("p4", "yes")]);
        var clear = await ImportAsync(store, "clear", "bundled:clear",
            [Instance("c1", "A", "alcohol_dependence"), Instance("c2", "B", "alcohol_dependence"), Instance("c3", "A", "alcohol_dependence"), Instance("c4", "B", "chronic_pain")],
            access: AccessTier.Private);
        var medec = await ImportAsync(store, "medec", "/srv/imports/medec", [Instance("e1", "CORRECT"), Instance("e2", "3 The patient has asthma.")], data: "imported");
        var dialog = await ImportAsync(store, "med_dialog", "/srv/imports/med_dialog",
            [Instance("d1", "reference one", "healthcaremagic"), Instance("d2", "reference two", "healthcaremagic"), Instance("d3", "reference three", "icliniq")]);
        var manifest = Manifest(["m1", "m2"], [pubmed, clear, medec, dialog], ["j1", "j2"]) with { Storage = "SQLite 3.53.0" };
        await SaveRunAsync(store, runId, RunManifestJson.Serialize(manifest));

        static MetricScore[] Main(string metric, double value) => [new MetricScore(metric, value)];
        var entries = new List<LedgerEntry>();
        double[] pubmedM1 = [1, 0, 1, 0], pubmedM2 = [1, 1, 1, 0], clearM1 = [1, 0, 0, 1], clearM2 = [1, 1, 1, 0];
        for (var i = 0; i < 4; i++)
        {
            entries.Add(Entry(runId, "m1", pubmed, $"p{i + 1}", Main("exact_match", pubmedM1[i])));
            entries.Add(Entry(runId, "m2", pubmed, $"p{i + 1}", Main("exact_match", pubmedM2[i])));
            entries.Add(Entry(runId, "m1", clear, $"c{i + 1}", Main("exact_match", clearM1[i])));
            entries.Add(Entry(runId, "m2", clear, $"c{i + 1}", Main("exact_match", clearM2[i])));
        }

        entries.Add(Entry(runId, "m1", medec, "e1", [new MetricScore("medec_error_flag_accuracy", 1), new MetricScore("medec_error_sentence_accuracy", 0.5, IsMain: false)]));
        entries.Add(Entry(runId, "m1", medec, "e2", [new MetricScore("medec_error_flag_accuracy", 1), new MetricScore("medec_error_sentence_accuracy", 0, IsMain: false)]));
        foreach (var id in new[] { "d1", "d2", "d3" })
        {
            entries.Add(Entry(runId, "m1", dialog, id, [new MetricScore("rouge_l", 0.25, IsMain: false)], output: "summary of " + id));
        }

        await RecordAsync(store, entries);

        // the jury: j1 rates every output, j2 fails on d3; the main scores as the run stores them
        var candidates = await store.GetJuryCandidatesAsync(runId, "med_dialog");
        var byId = candidates.ToDictionary(c => c.InstanceId);
        await store.SaveJudgeOutcomesAsync(runId, [(byId["d1"].RequestId, Verdict("j1", 3, 3, 3)), (byId["d2"].RequestId, Verdict("j1", 2, 2, 2)), (byId["d3"].RequestId, Verdict("j1", 5, 5, 5))]);
        await store.SaveJudgeOutcomesAsync(runId, [(byId["d1"].RequestId, Verdict("j2", 4, 4, 4)), (byId["d2"].RequestId, Verdict("j2", 1, 1, 1)), (byId["d3"].RequestId, Failure("j2"))]);
        await store.SaveJuryScoresAsync(runId, "med_dialog_accuracy", [(byId["d1"].RequestId, 0.75), (byId["d2"].RequestId, 0.25), (byId["d3"].RequestId, 1.0)]);
        await store.AppendAuditAsync(runId, "run_completed", """{"computed":24,"reused":0}""");
        return new Fixture(runId, manifest, pubmed, clear, medec, dialog);
    }

    public sealed record Fixture(string RunId, RunManifest Manifest, ManifestBenchmark PubMed, ManifestBenchmark Clear, ManifestBenchmark Medec, ManifestBenchmark Dialog);
}
