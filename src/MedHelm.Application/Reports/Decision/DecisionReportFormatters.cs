namespace MedHelm.Application.Reports.Decision;

/// <summary>One output format of the decision report (<c>medhelm report --format NAME</c>).</summary>
public interface IDecisionReportFormatter
{
    /// <summary>The name given to <c>--format</c>, lower case (table, json, csv, ...).</summary>
    string Name { get; }

    /// <summary>The file extension of the format, without the dot.</summary>
    string Extension { get; }

    /// <summary>The report as text in this format.</summary>
    string Format(DecisionReport report);
}

/// <summary>The formats the decision report can be written in; add one by listing its formatter in <see cref="All"/>.</summary>
public static class DecisionReportFormatters
{
    /// <summary>Every format, the default (table) first.</summary>
    public static IReadOnlyList<IDecisionReportFormatter> All { get; } =
    [
        new DecisionReportTextFormatter(),
        new DecisionReportJsonFormatter(),
        new DecisionReportCsvFormatter(),
    ];

    /// <summary>The names accepted by <c>--format</c>.</summary>
    public static IReadOnlyList<string> Names => All.Select(f => f.Name).ToArray();

    /// <summary>The formatter named <paramref name="name"/> (case-insensitive); throws <see cref="Errors.RequestValidationException"/> for an unknown name.</summary>
    public static IDecisionReportFormatter Get(string name) =>
        All.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new Errors.RequestValidationException($"Unknown report format '{name}'; the formats are {string.Join(", ", Names)}.");
}
