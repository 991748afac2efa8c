namespace MedHelm.Evaluation.Datasets;

/// <summary>A dataset file is missing or does not have the expected shape.</summary>
public sealed class DatasetFormatException : Exception
{
    /// <summary>Creates the exception; the message names the file, the record key, the field and the line when known.</summary>
    public DatasetFormatException(
        string file, string? recordKey, string? field, string problem, long? lineNumber = null, Exception? innerException = null)
        : base(Compose(file, recordKey, field, problem, lineNumber), innerException)
    {
        File = file;
        RecordKey = recordKey;
        Field = field;
        Problem = problem;
        LineNumber = lineNumber;
    }

    /// <summary>
    /// Creates the exception for a validation that found <paramref name="total"/> problems; the message names the
    /// first and says how many more there are; <see cref="Problems"/> holds them all.
    /// </summary>
    public DatasetFormatException(IReadOnlyList<DatasetProblem> problems, int total)
        : base(ComposeMany(problems, total))
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (problems.Count == 0)
        {
            throw new ArgumentException("At least one problem is needed.", nameof(problems));
        }

        var first = problems[0];
        File = first.File;
        RecordKey = first.RecordKey;
        Field = first.Field;
        Problem = first.Problem;
        LineNumber = first.Line;
        Problems = problems;
    }

    /// <summary>Every problem found, when the exception comes from a validation report; otherwise empty.</summary>
    public IReadOnlyList<DatasetProblem> Problems { get; } = [];

    /// <summary>The file (or folder) at fault.</summary>
    public string File { get; }

    /// <summary>The record key (e.g. PubMed id), when the problem is inside one record.</summary>
    public string? RecordKey { get; }

    /// <summary>The field name, when the problem is one field.</summary>
    public string? Field { get; }

    /// <summary>What is wrong, without location.</summary>
    public string Problem { get; }

    /// <summary>1-based line number, when known.</summary>
    public long? LineNumber { get; }

    private static string ComposeMany(IReadOnlyList<DatasetProblem> problems, int total) =>
        problems.Count == 0
            ? "no problems"
            : problems[0] + (total > 1 ? $" (and {total - 1} more problem{(total == 2 ? string.Empty : "s")})" : string.Empty);

    internal static string Compose(string file, string? recordKey, string? field, string problem, long? lineNumber)
    {
        var location = file;
        if (lineNumber is { } line)
        {
            location += $" (line {line})";
        }

        if (recordKey is not null)
        {
            location += $": record '{recordKey}'";
        }

        if (field is not null)
        {
            location += recordKey is null ? $": field '{field}'" : $", field '{field}'";
        }

        return $"{location}: {problem}";
    }
}
