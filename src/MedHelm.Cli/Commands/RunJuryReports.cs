using MedHelm.Application.Reports;
using MedHelm.Evaluation.Jury;

namespace MedHelm.Cli.Commands;

/// <summary>
/// The run command's view of the jury reports, kept until the run command moves into the application layer: the
/// reports themselves are built and formatted by <see cref="Application.Reports.RunJuryReports"/> and
/// <see cref="RunReportTextFormatter.FormatJuryReports"/>.
/// </summary>
internal static class RunJuryReports
{
    public sealed record Entry(string Model, string Benchmark, JuryReport Report);

    /// <summary>The reports from ratings and candidates already read (the run's jury step has them in hand).</summary>
    public static IReadOnlyList<Entry> Build(
        IReadOnlyList<StoredJuryRating> ratings, IEnumerable<(string Benchmark, IReadOnlyList<JuryCandidate> Candidates)> benchmarks, IReadOnlyList<string>? judges) =>
        Application.Reports.RunJuryReports.Build(ratings, benchmarks, judges).Select(e => new Entry(e.Model, e.Benchmark, e.Report)).ToArray();

    /// <summary>The plain-text reports (numbers only, never patient text), headed by the model when there are several.</summary>
    public static string Format(IReadOnlyList<Entry> entries) =>
        RunReportTextFormatter.FormatJuryReports(entries.Select(e => new JuryReportEntry(e.Model, e.Benchmark, e.Report)).ToArray());
}
