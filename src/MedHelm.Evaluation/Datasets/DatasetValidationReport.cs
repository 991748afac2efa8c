using System.Globalization;
using System.Text;

namespace MedHelm.Evaluation.Datasets;

/// <summary>One problem found in a dataset file.</summary>
/// <param name="File">The file (or folder) at fault.</param>
/// <param name="Line">1-based line, when known.</param>
/// <param name="RecordKey">The record's id or position, when the problem is inside one record.</param>
/// <param name="Field">The column or field, when the problem is one field.</param>
/// <param name="Problem">What is wrong, without location.</param>
public sealed record DatasetProblem(string File, long? Line, string? RecordKey, string? Field, string Problem)
{
    /// <summary>"file (line N): record 'k', field 'f': problem" — the same text as <see cref="DatasetFormatException"/>.</summary>
    public override string ToString() => DatasetFormatException.Compose(File, RecordKey, Field, Problem, Line);
}

/// <summary>
/// Collects every problem an import finds (not just the first), up to <see cref="MaxProblems"/>; an import with any
/// problem stores nothing.
/// </summary>
public sealed class DatasetValidationReport
{
    /// <summary>Problems kept in full; later ones are only counted.</summary>
    public const int MaxProblems = 1000;

    /// <summary>Problems <see cref="Lines"/> shows by default before "… and N more problem(s)".</summary>
    public const int ShownProblems = 20;

    private readonly List<DatasetProblem> _problems = [];

    /// <summary>The problems found, in the order found (at most <see cref="MaxProblems"/>).</summary>
    public IReadOnlyList<DatasetProblem> Problems => _problems;

    /// <summary>All problems found, including those beyond <see cref="MaxProblems"/>.</summary>
    public int TotalProblems { get; private set; }

    /// <summary>True when nothing is wrong.</summary>
    public bool IsValid => TotalProblems == 0;

    /// <summary>Records a problem.</summary>
    public void Add(string file, long? line, string? recordKey, string? field, string problem)
    {
        TotalProblems++;
        if (_problems.Count < MaxProblems)
        {
            _problems.Add(new DatasetProblem(file, line, recordKey, field, problem));
        }
    }

    /// <summary>Records the problem an exception describes.</summary>
    public void Add(DatasetFormatException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (exception.Problems.Count > 0)
        {
            foreach (var p in exception.Problems)
            {
                Add(p.File, p.Line, p.RecordKey, p.Field, p.Problem);
            }

            return;
        }

        Add(exception.File, exception.LineNumber, exception.RecordKey, exception.Field, exception.Problem);
    }

    /// <summary>Throws <see cref="DatasetFormatException"/> naming the first problem (and carrying all of them) unless valid.</summary>
    public void ThrowIfInvalid()
    {
        if (!IsValid)
        {
            throw new DatasetFormatException(_problems, TotalProblems);
        }
    }

    /// <summary>
    /// One line per problem ("file (line N): record 'k', field 'f': problem"), at most <paramref name="shown"/>,
    /// then "… and N more problem(s)" when there are more; empty when valid.
    /// </summary>
    public IReadOnlyList<string> Lines(int shown = ShownProblems)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(shown);
        var lines = _problems.Take(shown).Select(p => p.ToString()).ToList();
        if (TotalProblems > lines.Count)
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"… and {TotalProblems - lines.Count} more problem(s)"));
        }

        return lines;
    }

    /// <summary>One line per problem, then a count.</summary>
    public string Format()
    {
        var sb = new StringBuilder();
        foreach (var p in _problems)
        {
            sb.Append(p).Append('\n');
        }

        if (TotalProblems > _problems.Count)
        {
            sb.Append(CultureInfo.InvariantCulture, $"… and {TotalProblems - _problems.Count} more\n");
        }

        sb.Append(CultureInfo.InvariantCulture, $"{TotalProblems} problem{(TotalProblems == 1 ? string.Empty : "s")}\n");
        return sb.ToString();
    }
}
