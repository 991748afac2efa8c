using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using MedHelm.Core.Catalog;
using MedHelm.Evaluation.Datasets.Formats;

namespace MedHelm.Evaluation.Datasets.Importers;

/// <summary>
/// EHRSQL (eICU): <c>test.json</c> and <c>valid.json</c> (MedHELM evaluates both) with the schema DDL <c>eicu.sql</c>,
/// whose CREATE TABLE statements go into every prompt. Gold is the SQL; empty for unanswerable questions.
/// </summary>
public sealed partial class EhrSqlImporter : IDatasetImporter
{
    /// <summary>The schema DDL file.</summary>
    public const string SchemaFileName = "eicu.sql";

    /// <inheritdoc />
    public string Benchmark => "ehr_sql";

    /// <inheritdoc />
    public string Formats => "JSON test.json + valid.json (arrays of {db_id, question, query, value, is_impossible, id, …}) and the DDL eicu.sql";

    /// <summary>The CREATE TABLE statements of a DDL text (DROP statements and comments removed).</summary>
    public static string ExtractCreateTables(string ddl)
    {
        ArgumentNullException.ThrowIfNull(ddl);
        var sb = new StringBuilder();
        foreach (Match m in CreateTable().Matches(ddl))
        {
            sb.Append(m.Value.Trim()).Append("\n\n");
        }

        return sb.ToString().TrimEnd();
    }

    /// <inheritdoc />
    public IReadOnlyList<BenchmarkInstance> Read(string path, ImportContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var folder = File.Exists(path) ? Path.GetDirectoryName(Path.GetFullPath(path))! : path;
        if (!Directory.Exists(folder))
        {
            context.Report.Add(path, null, null, null, "the path does not exist");
            return [];
        }

        var schemaPath = Path.Combine(folder, SchemaFileName);
        var ddl = File.Exists(schemaPath) ? context.LoadText(schemaPath, lineOriented: true) : null;
        if (ddl is null)
        {
            if (!File.Exists(schemaPath))
            {
                context.Report.Add(schemaPath, null, null, null, "the schema DDL is missing; EHRSQL prompts need it");
            }

            return [];
        }

        var schema = ExtractCreateTables(ddl.Text);
        if (schema.Length == 0)
        {
            context.Report.Add(ddl.Path, 1, null, null, "no CREATE TABLE statement was found");
            return [];
        }

        var files = File.Exists(path)
            ? new[] { path }
            : new[] { "test.json", "valid.json" }.Select(n => Path.Combine(folder, n)).Where(File.Exists).ToArray();
        if (files.Length == 0)
        {
            context.Report.Add(folder, null, null, null, "neither test.json nor valid.json was found");
        }

        var instances = new List<BenchmarkInstance>();
        foreach (var file in files)
        {
            ReadFile(file, schema, context, instances);
        }

        return instances;
    }

    private static void ReadFile(string file, string schema, ImportContext context, List<BenchmarkInstance> instances)
    {
        var source = context.LoadText(file, lineOriented: false);
        using var document = source is null ? null : JsonSource.Parse(source, context.Report);
        if (document is null)
        {
            return;
        }

        if (document.RootElement.ValueKind != JsonValueKind.Array)
        {
            context.Report.Add(source!.Path, 1, null, null, $"expected a JSON array of questions, found {JsonSource.Describe(document.RootElement.ValueKind)}");
            return;
        }

        var split = Path.GetFileNameWithoutExtension(file);
        var lines = JsonSource.ObjectStartLines(source!, 1);
        var index = 0;
        foreach (var record in document.RootElement.EnumerateArray())
        {
            var at = new RecordLocation(source!.Path, index < lines.Count ? lines[index] : null, $"#{index}");
            index++;
            if (record.ValueKind != JsonValueKind.Object)
            {
                context.Report.Add(at.File, at.Line, at.Key, null, $"expected an object, found {JsonSource.Describe(record.ValueKind)}");
                continue;
            }

            var id = JsonSource.RequireString(record, "id", at, context.Report);
            at = at with { Key = id ?? at.Key };
            var question = JsonSource.RequireString(record, "question", at, context.Report);
            var query = JsonSource.RequireString(record, "query", at, context.Report);
            bool? impossible = null;
            if (!record.TryGetProperty("is_impossible", out var flag))
            {
                context.Report.Add(at.File, at.Line, at.Key, "is_impossible", "the field is missing");
            }
            else if (flag.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                impossible = flag.GetBoolean();
            }
            else
            {
                context.Report.Add(at.File, at.Line, at.Key, "is_impossible", $"expected a boolean, found {JsonSource.Describe(flag.ValueKind)}");
            }

            if (id is null || question is null || query is null || impossible is null)
            {
                continue;
            }

            var answerable = impossible == false && !string.Equals(query.Trim(), "nan", StringComparison.OrdinalIgnoreCase);
            instances.Add(ImporterSupport.Create(
                id, ImporterSupport.Fields(("schema", schema)), question, [], answerable ? query.Trim() : string.Empty,
                split, source!.Path, at.Line,
                new Dictionary<string, string>
                {
                    ["is_impossible"] = answerable ? "false" : "true",
                    ["value"] = record.TryGetProperty("value", out var v) ? v.GetRawText() : "{}",
                    ["db_id"] = JsonSource.OptionalString(record, "db_id", at, context.Report) ?? string.Empty,
                }));
        }
    }

    [GeneratedRegex(@"CREATE\s+TABLE\b[^;]*;?", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex CreateTable();
}
