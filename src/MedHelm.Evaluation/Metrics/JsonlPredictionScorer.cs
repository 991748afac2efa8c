using System.Text;
using System.Text.Json;
using MedHelm.Core.Metrics;
using MedHelm.Evaluation.Datasets.Formats;
using MedHelm.Evaluation.Files;

namespace MedHelm.Evaluation.Metrics;

/// <summary>Scores of one JSONL line.</summary>
/// <param name="Undefined">Set (and <paramref name="Scores"/> empty) when helm mode reports the line as undefined
/// because HELM's own code raises on it; such lines are left out of the aggregate.</param>
public sealed record LineScore(int Line, IReadOnlyDictionary<string, double> Scores, string? Undefined = null);

/// <summary>Per-line scores and the aggregate of a whole prediction file.</summary>
public sealed record PredictionFileScore(string Metric, ScoringMode Mode, IReadOnlyList<LineScore> Lines, IReadOnlyDictionary<string, double> Aggregate);

/// <summary>A JSONL line could not be scored: names the file, the line and the field.</summary>
public sealed class PredictionFileFormatException(string file, int line, string field, string message)
    : FormatException($"{file}:{line}: {(field.Length > 0 && !message.Contains($"'{field}'", StringComparison.Ordinal) ? $"field '{field}': " : "")}{message}")
{
    /// <summary>The file.</summary>
    public string File { get; } = file;

    /// <summary>1-based line number.</summary>
    public int Line { get; } = line;

    /// <summary>The offending field ("" when the line itself is bad).</summary>
    public string Field { get; } = field;
}

/// <summary>
/// Scores externally produced predictions: a JSONL file, one JSON object per line with <c>prediction</c> (string or
/// null) and the gold fields the metric needs. Blank lines are skipped. The file is read as a stream.
/// </summary>
public static class JsonlPredictionScorer
{
    /// <summary>Largest line accepted (characters).</summary>
    public const int MaxLineLength = 64 * 1024 * 1024;

    /// <summary>Scores every line of <paramref name="path"/>.</summary>
    /// <exception cref="PredictionFileFormatException">A line is not a JSON object or lacks a field.</exception>
    public static async Task<PredictionFileScore> ScoreFileAsync(string path, IMetric metric, ScoringMode mode, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(metric);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Prediction file not found: {path}", path);
        }

        RegularFiles.EnsureRegular(path, "prediction file");

        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        using var reader = new StreamReader(stream, new UTF8Encoding(false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: true);
        return await ScoreAsync(reader, path, metric, mode, cancellationToken);
    }

    /// <summary>Scores JSONL text from a reader; <paramref name="name"/> is used in error messages.</summary>
    public static async Task<PredictionFileScore> ScoreAsync(TextReader reader, string name, IMetric metric, ScoringMode mode, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(metric);
        var lines = new List<LineScore>();
        var lineNumber = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string? line;
            try
            {
                line = await reader.ReadLineAsync(cancellationToken);
            }
            catch (DecoderFallbackException e)
            {
                throw new PredictionFileFormatException(name, lineNumber + 1, "", $"not valid UTF-8 ({e.Message})");
            }

            if (line is null)
            {
                break;
            }

            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            if (line.Length > MaxLineLength)
            {
                throw new PredictionFileFormatException(name, lineNumber, "", $"line longer than {MaxLineLength} characters");
            }

            try
            {
                lines.Add(new LineScore(lineNumber, ScoreLine(line, name, lineNumber, metric, mode)));
            }
            catch (ReferenceUndefinedException e)
            {
                lines.Add(new LineScore(lineNumber, new Dictionary<string, double>(StringComparer.Ordinal), e.Message));
            }
        }

        if (lines.Count == 0)
        {
            // an aggregate over nothing would print as a score of 0
            throw new InvalidDataException($"{name}: no predictions to score (the file is empty or holds only blank lines).");
        }

        var aggregate = metric.Aggregate(lines.Where(l => l.Undefined is null).Select(l => l.Scores).ToList(), mode);
        return new PredictionFileScore(metric.Name, mode, lines, aggregate);
    }

    private static IReadOnlyDictionary<string, double> ScoreLine(string line, string name, int lineNumber, IMetric metric, ScoringMode mode)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw new PredictionFileFormatException(name, lineNumber, "", $"not valid JSON ({e.Message})");
        }

        if (JsonSurrogates.Find(line) is { } fault)
        {
            document.Dispose();
            throw new PredictionFileFormatException(name, lineNumber, fault.Member ?? "", fault.Problem);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new PredictionFileFormatException(name, lineNumber, "", $"expected a JSON object, found {root.ValueKind}");
            }

            if (!root.TryGetProperty("prediction", out var predictionElement))
            {
                throw new PredictionFileFormatException(name, lineNumber, "prediction", "field 'prediction' is missing");
            }

            string? prediction = predictionElement.ValueKind switch
            {
                JsonValueKind.String => predictionElement.GetString(),
                JsonValueKind.Null => null,
                _ => throw new PredictionFileFormatException(name, lineNumber, "prediction", $"must be a string or null, not {predictionElement.ValueKind}"),
            };

            try
            {
                return ScoreRecord(prediction, new GoldRecord(root), metric, mode);
            }
            catch (MetricInputFormatException e)
            {
                throw new PredictionFileFormatException(name, lineNumber, e.Field, e.Message);
            }
        }
    }

    /// <summary>
    /// Scores one prediction against one gold record: the path every line of a file takes, also used by the
    /// evaluation runner for the instances of a run.
    /// </summary>
    /// <exception cref="MetricInputFormatException">A field the metric needs is missing or malformed.</exception>
    public static IReadOnlyDictionary<string, double> ScoreRecord(string? prediction, GoldRecord gold, IMetric metric, ScoringMode mode)
    {
        RequireFields(gold, metric);
        return metric.Score(prediction, gold, mode);
    }

    /// <summary>Checks that <paramref name="gold"/> carries every field <paramref name="metric"/> needs.</summary>
    /// <exception cref="MetricInputFormatException">A field is missing (the message names it and every field the metric needs).</exception>
    public static void RequireFields(GoldRecord gold, IMetric metric)
    {
        ArgumentNullException.ThrowIfNull(gold);
        ArgumentNullException.ThrowIfNull(metric);
        foreach (var field in metric.RequiredFields)
        {
            if (!gold.Has(field))
            {
                throw new MetricInputFormatException(field, $"field '{field}' is missing (metric {metric.Name} needs {string.Join(", ", metric.RequiredFields)})");
            }
        }
    }
}
