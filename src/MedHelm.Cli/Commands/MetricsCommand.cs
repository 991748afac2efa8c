using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MedHelm.Core.Metrics;
using MedHelm.Evaluation.Metrics;

namespace MedHelm.Cli.Commands;

/// <summary><c>medhelm metrics score</c>: scores externally produced predictions (JSONL) with one MedHELM metric.</summary>
internal static class MetricsCommand
{
    public static Command Build()
    {
        var metric = new Option<string>("--metric") { Description = $"Metric name: {string.Join(", ", MetricNames())}.", Required = true };
        var input = new Option<FileInfo>("--input", "-i")
        {
            Description = "JSONL file: one object per line with 'prediction' and the gold fields of the metric.",
            Required = true,
        };
        var mode = new Option<string>("--mode") { Description = "corrected (default) or helm (reproduces the reference implementation).", DefaultValueFactory = _ => "corrected" };
        mode.AcceptOnlyFromAmong("corrected", "helm");
        var json = new Option<bool>("--json") { Description = "Print JSON (aggregate and per-line scores) instead of a table." };
        var database = new Option<FileInfo?>("--database") { Description = "SQLite database for ehr_sql_execution_accuracy (opened read-only)." };
        var timeout = new Option<double>("--sql-timeout") { Description = "Seconds each SQL query may run (EHRSQL).", DefaultValueFactory = _ => EhrSqlExecutionAccuracy.DefaultTimeout.TotalSeconds }.Checked();
        var maxRows = new Option<int>("--sql-max-rows") { Description = "Most rows a SQL query may return (EHRSQL).", DefaultValueFactory = _ => EhrSqlExecutionAccuracy.DefaultMaxRows }.Checked();
        var embeddingModel = new Option<string?>("--embedding-model") { Description = "BERTScore's encoder for bertscore: an ONNX export FILE.onnx with hidden states (BertScore settings), or a BERT-family GGUF model (name from appsettings Models, or a path)." };
        var idf = new Option<bool>("--idf") { Description = "bertscore: weight tokens by inverse document frequency over the file's references." };

        var score = new Command("score", "Score a JSONL file of predictions and print the aggregate (and per-line scores with --json).")
        {
            metric, input, mode, json, database, timeout, maxRows, embeddingModel, idf,
        };
        score.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, async (host, token) =>
        {
            var scoringMode = parse.GetValue(mode) == "helm" ? ScoringMode.Helm : ScoringMode.Corrected;
            var name = parse.GetValue(metric)!;
            var file = parse.GetValue(input)!;
            IMetric selected;
            EhrSqlExecutionAccuracy? ehrSql = null;
            IDisposable? embedder = null;
            if (IsBertScore(name))
            {
                var model = parse.GetValue(embeddingModel) ?? throw new ArgumentException("--embedding-model is required for bertscore (an ONNX encoder export or a BERT-family GGUF file).");
                (selected, embedder) = await BertScoreSetup.CreateAsync(host, model, file.FullName, parse.GetValue(idf), token);
            }
            else if (IsEhrSql(name))
            {
                var db = parse.GetValue(database) ?? throw new ArgumentException("--database is required for ehr_sql_execution_accuracy.");
                var seconds = parse.GetValue(timeout);
                if (!(seconds > 0))
                {
                    throw new ArgumentException($"--sql-timeout must be positive (got {seconds.ToString(CultureInfo.InvariantCulture)}).");
                }

                var rows = parse.GetValue(maxRows);
                if (rows < 1)
                {
                    throw new ArgumentException($"--sql-max-rows must be at least 1 (got {rows}).");
                }

                selected = ehrSql = new EhrSqlExecutionAccuracy(db.FullName, TimeSpan.FromSeconds(seconds), rows);
            }
            else if (!MetricRegistry.TryGet(name, out selected))
            {
                throw new ArgumentException($"Unknown metric '{name}'. Known: {string.Join(", ", MetricNames())}.");
            }

            try
            {
                var result = await JsonlPredictionScorer.ScoreFileAsync(file.FullName, selected, scoringMode, token);
                if (parse.GetValue(json))
                {
                    var payload = new
                    {
                        metric = result.Metric,
                        mode = scoringMode == ScoringMode.Helm ? "helm" : "corrected",
                        instances = result.Lines.Count,
                        undefined = result.Lines.Count(l => l.Undefined is not null),
                        aggregate = result.Aggregate,
                        lines = result.Lines.Select(l => new { line = l.Line, scores = l.Scores, undefined = l.Undefined }),
                    };
                    await Console.Out.WriteLineAsync(JsonSerializer.Serialize(payload));
                }
                else
                {
                    await Console.Out.WriteLineAsync($"metric {result.Metric}, mode {(scoringMode == ScoringMode.Helm ? "helm" : "corrected")}, {result.Lines.Count} instances");
                    foreach (var undefined in result.Lines.Where(l => l.Undefined is not null))
                    {
                        await Console.Out.WriteLineAsync($"  line {undefined.Line}: {undefined.Undefined} (left out of the aggregate)");
                    }

                    foreach (var (key, value) in result.Aggregate.OrderBy(kv => kv.Key == result.Metric ? 0 : 1).ThenBy(kv => kv.Key, StringComparer.Ordinal))
                    {
                        await Console.Out.WriteLineAsync($"  {key,-40} {value.ToString("0.0000", CultureInfo.InvariantCulture)}");
                    }
                }

                return CommandRunner.Ok;
            }
            finally
            {
                ehrSql?.Dispose();
                embedder?.Dispose();
            }
        }));

        return new Command("metrics", "Score predictions with the MedHELM metrics (helm = reference behaviour, corrected = defects fixed).") { score };
    }

    private static bool IsBertScore(string name) =>
        name.Trim().Replace('-', '_').ToLowerInvariant() is "bertscore" or BertScoreMetric.MetricName;

    private static bool IsEhrSql(string name) =>
        name.Trim().Replace('-', '_').ToLowerInvariant() is EhrSqlExecutionAccuracy.MetricName or "ehr_sql";

    private static IEnumerable<string> MetricNames() =>
        MetricRegistry.Metrics.Select(m => m.Name).Append(EhrSqlExecutionAccuracy.MetricName).Append(BertScoreMetric.MetricName);
}
