using MedHelm.Core.Decision;

namespace MedHelm.Application.Reports.Decision;

/// <summary>Where the numbers of a decision report come from.</summary>
/// <param name="Kind">"scores" (an external score table) or "run" (a run in the results database).</param>
/// <param name="Name">The score file's name or the run id.</param>
/// <param name="Sha256">SHA-256 of the score file; null for a run.</param>
/// <param name="Detail">Anything else worth saying (rows, instances); may be empty.</param>
public sealed record DecisionReportSource(string Kind, string Name, string? Sha256, string Detail);

/// <summary>
/// The decision report: MedHELM's Table 1 (<see cref="DecisionTable"/>: win rates, macro averages, category means, with
/// bootstrap intervals when there are instances) and where its numbers come from; optionally the paired comparison of
/// two models. Printed by the formatters of <see cref="DecisionReportFormatters"/>.
/// </summary>
/// <param name="Table">The aggregation.</param>
/// <param name="Sources">The score files or runs it was computed from.</param>
public sealed record DecisionReport(DecisionTable Table, IReadOnlyList<DecisionReportSource> Sources)
{
    /// <summary>The paired comparison of two models, when one was asked for.</summary>
    public PairedComparisonResult? Comparison { get; init; }
}
