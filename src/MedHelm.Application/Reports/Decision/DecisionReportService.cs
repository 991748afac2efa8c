using System.Globalization;
using MedHelm.Core.Decision;
using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.Datasets.Formats;

namespace MedHelm.Application.Reports.Decision;

/// <summary>What reading a score file found: every problem (with its line), or the table.</summary>
/// <param name="Path">The file.</param>
/// <param name="Problems">The problems found (empty when the file is valid).</param>
/// <param name="Table">The table; null when there were problems.</param>
/// <param name="File">Name, SHA-256 and size of the file; null when it could not be read.</param>
public sealed record ScoreFileCheck(string Path, DatasetValidationReport Problems, ScoreTable? Table, SourceFileInfo? File);

/// <summary>
/// The entry both report modes use: reads a score table (<c>medhelm report --scores FILE</c>) and computes the decision
/// report (<see cref="DecisionAggregation"/>) over a <see cref="ScoreTable"/> from any source. Reads files; prints nothing (hosts render the report).
/// </summary>
public sealed class DecisionReportService
{
    /// <summary>Reads and validates a score CSV (<see cref="ScoreTableCsv"/>); never throws for a bad file.</summary>
    public static ScoreFileCheck ReadScores(string path, ImportLimits? limits = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var report = new DatasetValidationReport();
        var source = SourceText.Load(path, report, limits ?? ImportLimits.Default, lineOriented: true);
        var table = source is null ? null : ScoreTableCsv.Parse(source, report);
        return new ScoreFileCheck(path, report, report.IsValid ? table : null, source?.Info);
    }

    /// <summary>
    /// The decision report of a score file. Throws <see cref="DatasetFormatException"/> naming the first problem and
    /// carrying all of them (<see cref="DatasetFormatException.Problems"/>) when the file is not valid.
    /// </summary>
    public static DecisionReport FromScores(string path, DecisionOptions? options = null)
    {
        var check = ReadScores(path);
        check.Problems.ThrowIfInvalid();
        return FromScores(check, options);
    }

    /// <summary>The decision report of a score file already read and found valid.</summary>
    public static DecisionReport FromScores(ScoreFileCheck check, DecisionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(check);
        if (check.Table is null || check.File is null)
        {
            throw new ArgumentException($"{check.Path}: the score file has problems; there is no table to report.", nameof(check));
        }

        var cells = check.Table.Models.Sum(m => check.Table.Benchmarks.Count(b => check.Table.Get(m, b.Name) is not null));
        var detail = string.Create(CultureInfo.InvariantCulture,
            $"{cells} scores: {check.Table.Models.Count} model(s) × {check.Table.Benchmarks.Count} benchmark(s), jury scores on 1-5");
        return Build(check.Table, [new DecisionReportSource("scores", check.File.FileName, check.File.Sha256, detail)], options);
    }

    /// <summary>The decision report of <paramref name="table"/> (from a score file or from runs).</summary>
    public static DecisionReport Build(ScoreTable table, IReadOnlyList<DecisionReportSource> sources, DecisionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(sources);
        return new DecisionReport(DecisionAggregation.Compute(table, options), sources);
    }
}
