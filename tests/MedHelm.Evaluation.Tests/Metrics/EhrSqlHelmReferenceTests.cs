using System.Globalization;
using System.Text.Json;
using MedHelm.Core.Metrics;
using MedHelm.Evaluation.Metrics;
using Microsoft.Data.Sqlite;

namespace MedHelm.Evaluation.Tests.Metrics;

/// <summary>
/// EHRSQL helm mode against HELM's own EhrSqlAnnotator + EhrSqlMetric, case by case (fixtures written by
/// tests/MedHelm.Core.Tests/Metrics/Reference/generate.py on Data/HelmReference/ehr_sql_schema.sql). The one
/// deliberate difference: predictions run on a read-only database with ATTACH disabled, so SQL that writes (DELETE,
/// CREATE, VACUUM) or attaches a database is invalid here while HELM runs it (and changes the database for the
/// instances after it).
/// </summary>
public sealed class EhrSqlHelmReferenceTests : IDisposable
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Data", "HelmReference");

    // Case id → the statistics that differ by design, with MedHelm's value.
    private static readonly Dictionary<string, (string Stat, double Value)> ReadOnlyDatabase = new(StringComparer.Ordinal)
    {
        ["ehrsql-035"] = ("ehr_sql_query_validity", 0), // DELETE FROM patient
        ["ehrsql-036"] = ("ehr_sql_query_validity", 0), // CREATE TABLE t(x)
        ["ehrsql-055"] = ("ehr_sql_query_validity", 0), // VACUUM
        ["ehrsql-056"] = ("ehr_sql_query_validity", 0), // ATTACH DATABASE ':memory:' AS m (ATTACH is disabled)
    };

    private readonly TempFolder _folder = new();
    private readonly EhrSqlExecutionAccuracy _metric;

    public EhrSqlHelmReferenceTests()
    {
        var database = Path.Combine(_folder.Path, "eicu.sqlite");
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Pooling = false }.ToString()))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = File.ReadAllText(Path.Combine(Folder, "ehr_sql_schema.sql"));
            command.ExecuteNonQuery();
        }

        _metric = new EhrSqlExecutionAccuracy(database);
    }

    [Fact]
    public void Helm_mode_equals_the_reference_case_by_case()
    {
        var lines = File.ReadAllLines(Path.Combine(Folder, "ehr_sql.jsonl"));
        Assert.Equal("v0.5.16", JsonDocument.Parse(lines[0]).RootElement.GetProperty("tag").GetString());
        var differences = new List<string>();
        foreach (var line in lines.Skip(1))
        {
            var root = JsonDocument.Parse(line).RootElement;
            var id = root.GetProperty("id").GetString()!;
            var expected = root.GetProperty("expected");
            var fields = new List<(string, object?)> { ("query", root.GetProperty("query").GetString()) };
            if (root.TryGetProperty("is_impossible", out var impossible))
            {
                fields.Add(("is_impossible", impossible.GetBoolean()));
            }

            if (root.TryGetProperty("value", out var value))
            {
                fields.Add(("value", value.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString())));
            }

            IReadOnlyDictionary<string, double> actual;
            try
            {
                actual = _metric.Score(root.GetProperty("prediction").GetString(), GoldRecord.From([.. fields]), ScoringMode.Helm);
            }
            catch (ReferenceUndefinedException e)
            {
                if (!expected.TryGetProperty("error", out var error) || error.GetString() != e.ReferenceError)
                {
                    differences.Add($"{id}: MedHelm undefined ({e.ReferenceError}), HELM {expected.GetRawText()}");
                }

                continue;
            }

            if (expected.TryGetProperty("error", out var raised))
            {
                differences.Add($"{id}: HELM raises {raised.GetString()}, MedHelm returned numbers");
                continue;
            }

            Assert.Equal(expected.EnumerateObject().Select(p => p.Name).Order(), actual.Keys.Order());
            foreach (var stat in expected.EnumerateObject())
            {
                var want = ReadOnlyDatabase.TryGetValue(id, out var deliberate) && deliberate.Stat == stat.Name ? deliberate.Value : stat.Value.GetDouble();
                if (Math.Abs(actual[stat.Name] - want) > 1e-9)
                {
                    differences.Add($"{id}: {stat.Name} expected {want.ToString(CultureInfo.InvariantCulture)}, MedHelm {actual[stat.Name].ToString(CultureInfo.InvariantCulture)}: {line}");
                }
            }
        }

        Assert.True(lines.Length > 80, $"{lines.Length - 1} cases");
        Assert.True(differences.Count == 0, string.Join("\n", differences));
    }

    [Fact]
    public void The_read_only_difference_is_real()
    {
        // Without the read-only database these would be valid, as in HELM: the fixture says so.
        var lines = File.ReadAllLines(Path.Combine(Folder, "ehr_sql.jsonl"));
        foreach (var id in ReadOnlyDatabase.Keys)
        {
            var root = JsonDocument.Parse(lines.Single(l => l.Contains($"\"{id}\"", StringComparison.Ordinal))).RootElement;
            Assert.Equal(1, root.GetProperty("expected").GetProperty("ehr_sql_query_validity").GetDouble());
        }
    }

    public void Dispose()
    {
        _metric.Dispose();
        _folder.Dispose();
    }
}
