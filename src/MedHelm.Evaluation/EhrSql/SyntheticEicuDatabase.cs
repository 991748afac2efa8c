using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;

namespace MedHelm.Evaluation.EhrSql;

/// <summary>Options of <see cref="SyntheticEicuDatabase.Generate"/>.</summary>
public sealed record SyntheticEicuOptions
{
    /// <summary>Distinct patients (uniquepid); the EHRSQL patient ids come first, then invented ones.</summary>
    public int Patients { get; init; } = 800;

    /// <summary>Seed: the same seed and patient count give the same rows.</summary>
    public ulong Seed { get; init; } = 42;
}

/// <summary>What was generated.</summary>
/// <param name="RowsPerTable">Rows written per table.</param>
/// <param name="Now">The fixed "current time" the data is laid out against (stored in <c>medhelm_database_info</c>).</param>
public sealed record SyntheticEicuSummary(IReadOnlyDictionary<string, long> RowsPerTable, string Now);

/// <summary>
/// Builds a synthetic SQLite database in the eICU schema of EHRSQL, for execution-scoring <c>ehr_sql</c> without the
/// credentialed eICU data. The tables come from the CREATE TABLE statements of the embedded <c>eicu.sql</c> (parsed by
/// <see cref="EicuSchema"/>, executed as written); rows are generated with a seeded generator: patients with EHRSQL-style
/// ids (uniquepid "006-12345", health-system and unit stay ids), ages, times in 2100-2105 like EHRSQL's shifted dates,
/// diagnoses with ICD-9 codes, labs with plausible ranges, medications with dosages and routes, periodic vitals,
/// intake/output, cultures, allergies, treatments and a cost row per event. Every entity name the EHRSQL questions use
/// occurs, and the entities a question pairs with a patient id are given to that patient. Every value is invented.
/// The same seed and options give the same rows (<see cref="DumpHash"/>). A table <c>medhelm_database_info</c> records
/// the generator, seed and the fixed "now" (2105-12-31 23:59:00, the time EHRSQL substitutes for <c>current_time</c>).
/// </summary>
public static partial class SyntheticEicuDatabase
{
    /// <summary>The "current time" EHRSQL's own evaluation substitutes for <c>current_time</c>.</summary>
    public const string Now = "2105-12-31 23:59:00";

    private static readonly DateTime Start = new(2100, 1, 1, 0, 0, 0, DateTimeKind.Unspecified);
    private static readonly DateTime End = new(2105, 12, 31, 23, 59, 0, DateTimeKind.Unspecified);

    /// <summary>Writes the database to <paramref name="path"/> atomically (temporary file in the same folder, then rename).</summary>
    public static SyntheticEicuSummary Generate(string path, SyntheticEicuOptions? options = null, string? ddl = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        options ??= new SyntheticEicuOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Patients, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Patients, 1_000_000);
        var full = Path.GetFullPath(path);
        Files.RegularFiles.EnsureReplaceable(full, "EHRSQL database");
        var folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        var temp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            var summary = Write(temp, options, ddl ?? EicuVocabulary.EmbeddedSchemaDdl());
            SqliteConnection.ClearAllPools();
            File.Move(temp, full, overwrite: true);
            return summary;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>SHA-256 over every row of every table in primary-key order (the database's content, not its file layout).</summary>
    public static string DumpHash(string path)
    {
        var builder = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false };
        using var connection = new SqliteConnection(builder.ToString());
        connection.Open();
        var tables = new List<string>();
        using (var list = connection.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name";
            using var reader = list.ExecuteReader();
            while (reader.Read())
            {
                tables.Add(reader.GetString(0));
            }
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var table in tables)
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"#{table}\n"));
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT * FROM \"{table.Replace("\"", "\"\"", StringComparison.Ordinal)}\" ORDER BY 1";
            using var reader = command.ExecuteReader();
            var row = new StringBuilder();
            while (reader.Read())
            {
                row.Clear();
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    var value = reader.GetValue(i);
                    row.Append(value switch
                    {
                        DBNull => "\\N",
                        double d => d.ToString("R", CultureInfo.InvariantCulture),
                        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                        _ => value.ToString(),
                    }).Append('\t');
                }

                hash.AppendData(Encoding.UTF8.GetBytes(row.Append('\n').ToString()));
            }
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static SyntheticEicuSummary Write(string file, SyntheticEicuOptions options, string ddl)
    {
        var schema = EicuSchema.Parse(ddl);
        var rows = new EicuRowBuilder(options, EicuVocabulary.Embedded).Build();
        // eICU's cost table references a non-unique patient column, so foreign keys stay off (as in the EHRSQL databases)
        var builder = new SqliteConnectionStringBuilder { DataSource = file, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false, ForeignKeys = false };
        using var connection = new SqliteConnection(builder.ToString());
        connection.Open();
        Execute(connection, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;");
        using var transaction = connection.BeginTransaction();
        foreach (var table in schema)
        {
            Execute(connection, table.CreateStatement, transaction);
        }

        Execute(connection, "CREATE TABLE medhelm_database_info (key TEXT PRIMARY KEY, value TEXT NOT NULL);", transaction);
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var table in schema)
        {
            var tableRows = rows.TryGetValue(table.Name, out var r) ? r : [];
            Insert(connection, transaction, table, tableRows);
            counts[table.Name] = tableRows.Count;
        }

        var info = new (string, string)[]
        {
            ("generator", "MedHelm.OnPrem synthetic eICU (EHRSQL schema); every value is invented"),
            ("synthetic", "true"),
            ("seed", options.Seed.ToString(CultureInfo.InvariantCulture)),
            ("patients", options.Patients.ToString(CultureInfo.InvariantCulture)),
            ("now", Now),
        };
        foreach (var (key, value) in info)
        {
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "INSERT INTO medhelm_database_info (key, value) VALUES ($k, $v)";
            command.Parameters.AddWithValue("$k", key);
            command.Parameters.AddWithValue("$v", value);
            command.ExecuteNonQuery();
        }

        transaction.Commit();
        return new SyntheticEicuSummary(counts, Now);
    }

    private static void Insert(SqliteConnection connection, SqliteTransaction transaction, SchemaTable table, List<Dictionary<string, object?>> rows)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"INSERT INTO {table.Name} ({string.Join(", ", table.Columns.Select(c => c.Name))}) VALUES ({string.Join(", ", table.Columns.Select((_, i) => "$p" + i.ToString(CultureInfo.InvariantCulture)))})";
        var parameters = table.Columns.Select((_, i) => command.Parameters.Add("$p" + i.ToString(CultureInfo.InvariantCulture), SqliteType.Text)).ToArray();
        command.Prepare();
        foreach (var row in rows)
        {
            foreach (var key in row.Keys)
            {
                if (table.Column(key) is null)
                {
                    throw new InvalidOperationException($"The generator produced column {table.Name}.{key}, which the schema does not have.");
                }
            }

            for (var i = 0; i < table.Columns.Count; i++)
            {
                var column = table.Columns[i];
                var value = row.TryGetValue(column.Name, out var v) ? v : null;
                if (value is null && column.NotNull)
                {
                    throw new InvalidOperationException($"The generator left the NOT NULL column {table.Name}.{column.Name} empty.");
                }

                if (value is string s && column.MaxLength is { } max && s.Length > max)
                {
                    value = s[..max];
                }

                parameters[i].SqliteType = value switch
                {
                    long or int => SqliteType.Integer,
                    double => SqliteType.Real,
                    _ => SqliteType.Text,
                };
                parameters[i].Value = value ?? DBNull.Value;
            }

            command.ExecuteNonQuery();
        }
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    internal static string Time(DateTime t) => t.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    internal static DateTime Clamp(DateTime t) => t < Start ? Start : t > End ? End : t;

    internal static DateTime RangeStart => Start;

    internal static DateTime RangeEnd => End;

    [GeneratedRegex(@"(\d+(?:[.,]\d+)?)\s*(mg|mcg|ml|g|units|unit|meq|%)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    internal static partial Regex DoseInName();
}

/// <summary>SplitMix64: a small, fast generator whose sequence is fixed by its seed on every platform.</summary>
internal sealed class SeededRandom(ulong seed)
{
    private ulong _state = seed;

    public ulong Next()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Integer in [min, max).</summary>
    public int Int(int min, int max) => max <= min ? min : min + (int)(Next() % (ulong)(max - min));

    /// <summary>Double in [0, 1).</summary>
    public double Unit() => (Next() >> 11) * (1.0 / (1UL << 53));

    public double Range(double min, double max) => min + (Unit() * (max - min));

    public bool Chance(double p) => Unit() < p;

    public T Pick<T>(IReadOnlyList<T> items) => items[Int(0, items.Count)];
}
