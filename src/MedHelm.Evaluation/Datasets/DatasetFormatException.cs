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

    private static string Compose(string file, string? recordKey, string? field, string problem, long? lineNumber)
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
