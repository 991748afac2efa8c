using MedHelm.Evaluation.Jury;
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MedHelm.Cli.Hosting;
using MedHelm.Core.Results;
using MedHelm.Application.Ports;
using MedHelm.Storage;

namespace MedHelm.Cli.Commands;

/// <summary><c>medhelm runs list|show</c>: the runs in the results database and everything recorded about one.</summary>
internal static class RunsCommand
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    public static Command Build() => new("runs", "List runs and show how a run was made (models, data, settings, machine) and its results.")
    {
        List(),
        Show(),
    };

    private static Command List()
    {
        var command = new Command("list", "Every run, newest first: status, start, end, results computed and reused.");
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (host, token) =>
        {
            await using var store = await OpenExistingAsync(host, token);
            var runs = await store.ListRunsAsync(token);
            if (runs.Count == 0)
            {
                Console.Out.WriteLine("No runs.");
                return CommandRunner.Ok;
            }

            Console.Out.WriteLine($"{"run",-34} {"status",-10} {"started (UTC)",-20} {"finished (UTC)",-20} {"results",8} {"computed",9} {"reused",7}");
            foreach (var r in runs)
            {
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{r.RunId,-34} {r.Status.ToString().ToLowerInvariant(),-10} {r.StartedUtc:yyyy-MM-dd HH:mm:ss}  {(r.FinishedUtc is { } f ? f.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "-"),-20} {r.Results,8} {r.Computed,9} {r.Reused,7}"));
            }

            return CommandRunner.Ok;
        }));
        return command;
    }

    private static Command Show()
    {
        var runId = new Argument<string>("run-id") { Description = "The run (see `runs list`)." };
        var json = new Option<bool>("--json") { Description = "Print everything as JSON: configuration, models, data, machine, per-instance results, audit." };
        var outputs = new Option<bool>("--outputs") { Description = "Include the model outputs' text in the per-instance results (may be patient data); by default only their SHA-256." };
        var command = new Command("show", "Show how a run was made and its results.") { runId, json, outputs };
        command.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (host, token) =>
        {
            await using var store = await OpenExistingAsync(host, token);
            var id = parse.GetValue(runId)!;
            var run = await store.GetRunAsync(id, token) ?? throw new ArgumentException($"There is no run '{id}' (see `medhelm runs list`).");
            var summary = (await store.ListRunsAsync(token)).Single(r => r.RunId == id);
            var results = await store.GetRunResultsAsync(id, parse.GetValue(outputs), token);
            var leaderboard = await store.GetLeaderboardAsync(id, token);
            var secondary = SecondaryMeans(results);
            var configuration = JsonNode.Parse(run.ConfigurationJson);
            var modelNames = (configuration?["models"] as JsonArray)?.OfType<JsonObject>().Select(m => (string?)m["name"]).OfType<string>().ToArray()
                ?? results.Select(r => r.Model).Distinct(StringComparer.Ordinal).ToArray();
            var models = new List<StoredModel>();
            foreach (var name in modelNames)
            {
                if (await store.GetModelAsync(name, token) is { } model)
                {
                    models.Add(model);
                }
            }

            var audit = await store.GetAuditAsync(id, token);
            var judges = (configuration?["jury"] as JsonArray)?.Select(j => (string?)j).OfType<string>().ToArray();
            var juryReports = await RunJuryReports.BuildAsync(store, id, judges is { Length: > 0 } ? judges : null, null, token);
            if (parse.GetValue(json))
            {
                var document = new JsonObject
                {
                    ["run"] = new JsonObject
                    {
                        ["run_id"] = run.RunId,
                        ["status"] = run.Status.ToString().ToLowerInvariant(),
                        ["started_utc"] = run.StartedUtc,
                        ["finished_utc"] = run.FinishedUtc,
                        ["app_version"] = run.AppVersion,
                        ["llama_cpp_version"] = run.LlamaCppVersion,
                        ["machine"] = run.MachineDescription,
                        ["gpu"] = run.GpuDescription,
                        ["config_sha256"] = summary.ConfigHash,
                    },
                    ["configuration"] = configuration,
                    ["models"] = JsonSerializer.SerializeToNode(models, Json),
                    ["counts"] = new JsonObject { ["results"] = summary.Results, ["computed"] = summary.Computed, ["reused"] = summary.Reused },
                    ["leaderboard"] = JsonSerializer.SerializeToNode(leaderboard, Json),
                    ["secondary_means"] = new JsonArray(secondary.Select(m => (JsonNode)new JsonObject
                    {
                        ["model"] = m.Model,
                        ["benchmark"] = m.Benchmark,
                        ["metric"] = m.Metric,
                        ["mean"] = m.Mean,
                        ["instances"] = m.Instances,
                    }).ToArray()),
                    ["results"] = JsonSerializer.SerializeToNode(results, Json),
                    ["jury"] = JuryCounts(await store.GetJuryRatingsAsync(id, token)),
                    ["jury_reports"] = RunJuryReports.ToJson(juryReports),
                    ["audit"] = new JsonArray(audit.Select(a => (JsonNode)new JsonObject
                    {
                        ["at_utc"] = a.AtUtc,
                        ["event"] = a.Event,
                        ["detail"] = JsonNode.Parse(a.DetailJson),
                    }).ToArray()),
                };
                Console.Out.WriteLine(document.ToJsonString(Json));
                return CommandRunner.Ok;
            }

            Console.Out.WriteLine($"run       {run.RunId} ({run.Status.ToString().ToLowerInvariant()})");
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"started   {run.StartedUtc:yyyy-MM-dd HH:mm:ss} UTC; finished {(run.FinishedUtc is { } f ? f.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC" : "-")}"));
            Console.Out.WriteLine($"app       {run.AppVersion}; llama.cpp {run.LlamaCppVersion ?? "-"}");
            Console.Out.WriteLine($"machine   {run.MachineDescription}");
            Console.Out.WriteLine($"gpu       {run.GpuDescription ?? "-"}");
            Console.Out.WriteLine($"config    sha256 {summary.ConfigHash}");
            foreach (var m in models)
            {
                Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"model     {m.Name}: {m.Path} sha256 {m.Sha256}, {m.Architecture ?? "?"}, {m.Quantization ?? "?"}, {m.Parameters:N0} parameters"));
            }

            if (configuration?["bertscore_model"] is JsonObject bert)
            {
                Console.Out.WriteLine($"bertscore {bert["name"]}: {bert["file"]} sha256 {bert["sha256"]}, {bert["architecture"]} ({bert["metric"]}, secondary)");
            }

            foreach (var b in (configuration?["benchmarks"] as JsonArray)?.OfType<JsonObject>() ?? [])
            {
                Console.Out.WriteLine($"data      {b["name"]}: sha256 {b["dataset_sha256"]}, {b["instances"]} instances ({b["source"]})");
            }

            foreach (var s in (configuration?["skipped"] as JsonArray)?.OfType<JsonObject>() ?? [])
            {
                Console.Out.WriteLine($"skipped   {s["name"]}: {s["reason"]}");
            }

            Console.Out.WriteLine($"results   {summary.Results} ({summary.Computed} computed, {summary.Reused} reused)");
            Console.Out.WriteLine();
            Console.Out.WriteLine(leaderboard.Count == 0 ? "No results." : Leaderboard.FormatTable(leaderboard));
            Console.Out.WriteLine();
            if (secondary.Count > 0)
            {
                Console.Out.Write(FormatSecondary(secondary));
                Console.Out.WriteLine();
            }

            if (juryReports.Count > 0)
            {
                Console.Out.Write(RunJuryReports.Format(juryReports));
                Console.Out.WriteLine();
            }

            Console.Out.WriteLine("everything, with per-instance results: medhelm runs show " + run.RunId + " --json");
            return CommandRunner.Ok;
        }));
        return command;
    }

    /// <summary>One secondary statistic averaged over the scored instances of a model × benchmark.</summary>
    private sealed record SecondaryMean(string Model, string Benchmark, string Metric, double Mean, int Instances);

    /// <summary>Means of the secondary statistics (ROUGE, BERTScore, MedEC sentence accuracy, …) per model × benchmark × metric.</summary>
    private static List<SecondaryMean> SecondaryMeans(IReadOnlyList<RunResultRow> results) =>
        results
            .SelectMany(r => r.Secondary.Select(kv => (r.Model, r.Benchmark, Metric: kv.Key, kv.Value)))
            .GroupBy(x => (x.Model, x.Benchmark, x.Metric))
            .OrderBy(g => g.Key.Model, StringComparer.Ordinal).ThenBy(g => g.Key.Benchmark, StringComparer.Ordinal).ThenBy(g => g.Key.Metric, StringComparer.Ordinal)
            .Select(g => new SecondaryMean(g.Key.Model, g.Key.Benchmark, g.Key.Metric, g.Average(x => x.Value), g.Count()))
            .ToList();

    private static string FormatSecondary(IReadOnlyList<SecondaryMean> means)
    {
        var modelWidth = Math.Max("Model".Length, means.Max(m => m.Model.Length));
        var benchmarkWidth = Math.Max("Benchmark".Length, means.Max(m => m.Benchmark.Length));
        var metricWidth = Math.Max("Secondary statistic".Length, means.Max(m => m.Metric.Length));
        var text = new System.Text.StringBuilder();
        text.AppendLine("Secondary statistics: means over the scored instances, not on the leaderboard");
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{"Model".PadRight(modelWidth)}  {"Benchmark".PadRight(benchmarkWidth)}  {"Secondary statistic".PadRight(metricWidth)}     Mean  Instances"));
        text.AppendLine($"{new string('-', modelWidth)}  {new string('-', benchmarkWidth)}  {new string('-', metricWidth)}  -------  ---------");
        foreach (var m in means)
        {
            text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{m.Model.PadRight(modelWidth)}  {m.Benchmark.PadRight(benchmarkWidth)}  {m.Metric.PadRight(metricWidth)}  {m.Mean,7:F3}  {m.Instances,9}"));
        }

        return text.ToString();
    }

    private static async Task<SqliteResultStore> OpenExistingAsync(CliHost host, CancellationToken cancellationToken)
    {
        var databasePath = host.DatabasePath;
        if (!File.Exists(databasePath))
        {
            throw new FileNotFoundException($"There is no results database at {databasePath} yet; start a run with `medhelm run` first.");
        }

        return await SqliteResultStore.OpenAsync(databasePath, cancellationToken);
    }
    /// <summary>Per benchmark × judge: instances rated, verdicts, failures and the mean rating (for <c>runs show --json</c>).</summary>
    private static JsonArray JuryCounts(IReadOnlyList<StoredJuryRating> ratings) =>
        new(ratings.GroupBy(r => (r.Benchmark, r.Judge)).OrderBy(g => g.Key.Benchmark, StringComparer.Ordinal).ThenBy(g => g.Key.Judge, StringComparer.Ordinal)
            .Select(g => (JsonNode)new JsonObject
            {
                ["benchmark"] = g.Key.Benchmark,
                ["judge"] = g.Key.Judge,
                ["instances"] = g.Select(r => r.RequestId).Distinct().Count(),
                ["verdicts"] = g.Where(r => r.Rating is not null).Select(r => r.RequestId).Distinct().Count(),
                ["failures"] = g.Count(r => r.Rating is null),
                ["ratings"] = g.Count(r => r.Rating is not null),
                ["mean_rating"] = g.Any(r => r.Rating is not null) ? g.Where(r => r.Rating is not null).Average(r => r.Rating!.Value) : null,
            }).ToArray());
}
