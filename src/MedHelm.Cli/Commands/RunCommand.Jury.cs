using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MedHelm.Cli.Hosting;
using MedHelm.Core.Catalog;
using MedHelm.Core.Metrics;
using MedHelm.Core.Results;
using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.Jury;
using MedHelm.Evaluation.Running;
using MedHelm.Gguf;
using MedHelm.Inference.Llama.Chat;
using MedHelm.Inference.Llama.Models;
using MedHelm.Application.Ports;
using MedHelm.Storage;

namespace MedHelm.Cli.Commands;

/// <summary>The jury step of a run: judges loaded one after another rate the stored open-ended outputs.</summary>
internal static partial class RunCommand
{
    /// <summary>
    /// The judges of a run: <c>--jury</c> when given (<c>none</c>: no jury), else the <c>Jury:Judges</c> of appsettings.json.
    /// </summary>
    private static IReadOnlyList<string> JudgesFor(IReadOnlyList<string> argument, JuryOptions jury)
    {
        if (argument.Count == 1 && string.Equals(argument[0], "none", StringComparison.OrdinalIgnoreCase))
        {
            return [];
        }

        var judges = argument.Count > 0 ? argument : jury.Judges;
        if (judges.GroupBy(j => j, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new ArgumentException($"The judge '{twice.Key}' is listed twice in {(argument.Count > 0 ? "--jury" : "Jury:Judges")}; each judge votes once.");
        }

        return judges.ToArray();
    }

    /// <summary>
    /// Checks every judge before any work starts: a local judge's file exists; a hosted judge's endpoints are enabled
    /// and it may receive the data of every open-ended benchmark of the run.
    /// </summary>
    /// <returns>The judges' names (<see cref="JudgeNames"/>).</returns>
    private static IReadOnlyList<string> CheckJudges(CliHost host, IReadOnlyList<string> judges, IReadOnlyList<PlannedBenchmark> juried, DemoOptions demo)
    {
        var names = JudgeNames(host, judges, demo);
        foreach (var judge in judges)
        {
            if (host.IsEndpoint(judge))
            {
                foreach (var benchmark in juried)
                {
                    HostedDataPolicy.EnsureAllowed(host.Options<EndpointsOptions>(), judge, benchmark.Definition.Access);
                }
            }
            else
            {
                _ = host.ResolveModel(judge, demo.Sequences, demo.ContextPerSequence);
            }
        }

        return names;
    }

    /// <summary>
    /// Rates the stored outputs of the open-ended benchmarks with each judge of the plan, one judge at a time
    /// (judge-major order: one local judge model is loaded at once; a hosted judge is called through its endpoint),
    /// and stores every rating and failure in <c>jury_ratings</c>. A judge that already rated a request in this run is
    /// not asked again. Then each instance's score, (mean − 1) / 4 over every stored judge × criterion rating (1 when
    /// there is none), is stored as the benchmark's main metric. Returns the jury reports.
    /// </summary>
    private static async Task<IReadOnlyList<RunJuryReports.Entry>> RunJuryAsync(
        CliHost host, SqliteResultStore store, string runId, RunPlan plan, IReadOnlyList<PlannedBenchmark> benchmarks, DemoOptions demo, int threads,
        CancellationToken cancellationToken)
    {
        if (benchmarks.Count == 0 || plan.Jury.Count == 0)
        {
            return [];
        }

        var juryOptions = host.Options<JuryOptions>();
        var logger = host.Logger("MedHelm.Jury");
        var work = new List<(PlannedBenchmark Benchmark, JuryRubric Rubric, IReadOnlyList<JuryCandidate> Candidates, IReadOnlyList<JuryItem> Items)>();
        foreach (var benchmark in benchmarks)
        {
            var rubric = JuryRubric.For(benchmark.Definition);
            var instances = benchmark.Instances.GroupBy(i => i.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
            var candidates = await store.GetJuryCandidatesAsync(runId, benchmark.Definition.Name, cancellationToken);
            var items = candidates.Select(c => new JuryItem(
                c.RequestId.ToString(CultureInfo.InvariantCulture),
                instances.TryGetValue(c.InstanceId, out var instance) ? JurySource(benchmark.Definition, instance) : "",
                c.Output,
                rubric.UsesGold && !string.IsNullOrWhiteSpace(c.Gold) ? c.Gold : null)).ToArray();
            work.Add((benchmark, rubric, candidates, items));
        }

        var judged = (await store.GetJuryRatingsAsync(runId, cancellationToken)).Select(r => (r.RequestId, r.Judge)).ToHashSet();
        var judgeNames = JudgeNames(host, plan.Jury, demo);
        for (var j = 0; j < plan.Jury.Count; j++)
        {
            var name = judgeNames[j];
            var pending = work.Select(w =>
            {
                var indices = Enumerable.Range(0, w.Items.Count)
                    .Where(i => !string.IsNullOrWhiteSpace(w.Items[i].Response) && !judged.Contains((w.Candidates[i].RequestId, name))).ToArray();
                return (w.Rubric, w.Benchmark.Definition.Access, Candidates: indices.Select(i => w.Candidates[i]).ToArray(), Items: indices.Select(i => w.Items[i]).ToArray());
            }).Where(p => p.Items.Length > 0).ToArray();
            if (pending.Length == 0)
            {
                Console.Error.WriteLine($"jury: {name}: nothing to rate (ratings of this run reused)");
                continue;
            }

            Console.Error.WriteLine($"jury: {name}: rating {pending.Sum(p => p.Items.Length)} output(s)");
            using var judge = OpenJudge(host, plan.Jury[j], name, pending.Max(p => p.Access), demo, threads, juryOptions);
            foreach (var (rubric, _, candidates, items) in pending)
            {
                var jury = new LlmJury([judge.Client], rubric, VerdictSchema.For(rubric, juryOptions.MaxExplanationChars), logger);
                var results = await jury.RateAllAsync(items, new JuryRunOptions { MaxConcurrencyPerJudge = judge.Concurrency }, cancellationToken);
                var outcomes = Enumerable.Range(0, results.Count).Where(i => results[i].Judges.Count > 0)
                    .Select(i => (candidates[i].RequestId, results[i].Judges[0])).ToArray();
                await store.SaveJudgeOutcomesAsync(runId, outcomes, cancellationToken);
                var failures = outcomes.Count(o => !o.Item2.Succeeded);
                var retried = outcomes.Count(o => o.Item2.Succeeded && o.Item2.FailedAttempts > 0);
                Console.Error.WriteLine($"jury: {name} × {rubric.Benchmark}: {outcomes.Length - failures} verdict(s) ({retried} after a retry), {failures} failure(s)");
            }
        }

        // Combine: the stored outcomes of this plan's judges, scored as LlmJury's JuryResult does.
        var ratings = await store.GetJuryRatingsAsync(runId, cancellationToken);
        var summary = new JsonArray();
        foreach (var (benchmark, _, candidates, _) in work)
        {
            var results = StoredJury.ToResults(candidates, ratings, judgeNames);
            var scores = candidates.Select((c, i) => (c.RequestId, results[i].NormalizedScore)).ToArray();
            await store.SaveJuryScoresAsync(runId, benchmark.Definition.MainMetric, scores, cancellationToken);
            summary.Add(new JsonObject
            {
                ["benchmark"] = benchmark.Definition.Name,
                ["instances"] = candidates.Count,
                ["judges"] = new JsonArray(judgeNames.Select(n => (JsonNode)JsonValue.Create(n)!).ToArray()),
                ["judge_failures"] = results.Sum(r => r.JudgesFailed),
                ["no_verdict"] = results.Count(r => r.Basis == JuryScoreBasis.NoVerdict),
                ["empty_output"] = results.Count(r => r.Basis == JuryScoreBasis.EmptyResponse),
            });
        }

        await store.AppendAuditAsync(runId, "jury_scored", summary.ToJsonString(), cancellationToken);
        return RunJuryReports.Build(ratings, work.Select(w => (w.Benchmark.Definition.Name, w.Candidates)), judgeNames);
    }

    /// <summary>
    /// The name each judge's ratings are stored under: the endpoint or Models name, or a GGUF file's name without its
    /// folder and extension (the model's name everywhere else too).
    /// </summary>
    internal static IReadOnlyList<string> JudgeNames(CliHost host, IReadOnlyList<string> judges, DemoOptions demo)
    {
        var names = judges.Select(j => host.IsEndpoint(j) ? j : host.ResolveModel(j, demo.Sequences, demo.ContextPerSequence).Name).ToArray();
        if (names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new ArgumentException($"Two judges would be stored under the same name '{twice.Key}'; give the judges distinct names (Models entries or file names).");
        }

        return names;
    }

    private static Opened<JudgeClient> OpenJudge(CliHost host, string argument, string name, AccessTier tier, DemoOptions demo, int threads, JuryOptions jury)
    {
        if (host.IsEndpoint(argument))
        {
            var endpoint = host.Options<EndpointsOptions>().Items[name];
            var hosted = host.CreateHostedClient(name, tier);
            var options = new JudgeClientOptions { MaxRetries = jury.MaxRetries, MaxOutputTokens = jury.MaxOutputTokens };
            return new Opened<JudgeClient>(JudgeClient.Hosted(name, hosted, endpoint.StructuredOutput, options), endpoint.MaxConcurrency, hosted);
        }

        var (_, path, settings) = host.ResolveModel(argument, demo.Sequences, demo.ContextPerSequence);
        var loaded = LlamaModel.Load(path, settings.ToModelSettings(), host.Logger("MedHelm.Models"));
        try
        {
            var client = new LlamaChatClient(
                loaded, new LlamaChatClientOptions { ModelName = name, Engine = settings.ToEngineOptions(threads) }, host.Logger("MedHelm.Generation"), ownsModel: true);
            return new Opened<JudgeClient>(JudgeClient.Local(name, client), client.Context.Sequences, client);
        }
        catch
        {
            loaded.Dispose();
            throw;
        }
    }

    /// <summary>What the model was given for <paramref name="instance"/>, without the adapter's instructions: the judge's source.</summary>
    private static string JurySource(BenchmarkDefinition definition, BenchmarkInstance instance)
    {
        var text = new System.Text.StringBuilder();
        foreach (var field in definition.InputFields)
        {
            if (instance.Fields.TryGetValue(field.Key, out var value) && !string.IsNullOrWhiteSpace(value))
            {
                text.Append(field.Label).Append(": ").Append(value.Trim()).Append('\n');
            }
        }

        if (!string.IsNullOrWhiteSpace(instance.Question))
        {
            text.Append(instance.Question.Trim());
        }

        return text.ToString().Trim();
    }
}
