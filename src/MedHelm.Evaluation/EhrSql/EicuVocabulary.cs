using System.Text.Json;

namespace MedHelm.Evaluation.EhrSql;

/// <summary>
/// Entity names the EHRSQL eICU questions ask about (from the gold queries of test.json and valid.json, embedded as
/// <c>samples/ehr_sql/vocabulary.json</c>; see Samples/NOTICE.md), plus hints pairing a patient id with an entity the
/// same question names, and the schema DDL <c>samples/ehr_sql/eicu.sql</c>.
/// </summary>
public sealed class EicuVocabulary
{
    private const string VocabularyResource = "samples/ehr_sql/vocabulary.json";
    private const string SchemaResource = "samples/ehr_sql/eicu.sql";

    private EicuVocabulary(Dictionary<string, string[]> columns, Dictionary<string, string[]> cellPaths, string[] currentPids, (string Pid, string Table, string Column, string Value)[] hints)
    {
        Columns = columns;
        CellLabelPaths = cellPaths;
        CurrentPatientIds = currentPids;
        Hints = hints;
    }

    /// <summary>"table.column" → the literal values the gold queries compare it with.</summary>
    public IReadOnlyDictionary<string, string[]> Columns { get; }

    /// <summary>Intake/output cell label → the cellpath LIKE patterns used with it ("intake", "output", "input").</summary>
    public IReadOnlyDictionary<string, string[]> CellLabelPaths { get; }

    /// <summary>Patient ids asked about as still in hospital (hospitaldischargetime is null).</summary>
    public IReadOnlyList<string> CurrentPatientIds { get; }

    /// <summary>(uniquepid, table, column, value) named together in one question.</summary>
    public IReadOnlyList<(string Pid, string Table, string Column, string Value)> Hints { get; }

    /// <summary>The values of "table.column" (empty when none).</summary>
    public IReadOnlyList<string> Values(string key) => Columns.TryGetValue(key, out var v) ? v : [];

    /// <summary>The embedded vocabulary.</summary>
    public static EicuVocabulary Embedded { get; } = Load();

    /// <summary>The embedded eICU DDL (EHRSQL's eicu.sql).</summary>
    public static string EmbeddedSchemaDdl()
    {
        using var stream = typeof(EicuVocabulary).Assembly.GetManifestResourceStream(SchemaResource)
            ?? throw new InvalidOperationException($"The embedded resource {SchemaResource} is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static EicuVocabulary Load()
    {
        using var stream = typeof(EicuVocabulary).Assembly.GetManifestResourceStream(VocabularyResource)
            ?? throw new InvalidOperationException($"The embedded resource {VocabularyResource} is missing.");
        using var document = JsonDocument.Parse(stream);
        var root = document.RootElement;
        static string[] Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToArray();
        var columns = root.GetProperty("columns").EnumerateObject().ToDictionary(p => p.Name, p => Strings(p.Value), StringComparer.Ordinal);
        var paths = root.GetProperty("celllabel_paths").EnumerateObject().ToDictionary(p => p.Name, p => Strings(p.Value), StringComparer.Ordinal);
        var current = Strings(root.GetProperty("current_pids"));
        var hints = root.GetProperty("hints").EnumerateArray()
            .Select(h => Strings(h))
            .Select(h => (h[0], h[1], h[2], h[3]))
            .ToArray();
        return new EicuVocabulary(columns, paths, current, hints);
    }
}
