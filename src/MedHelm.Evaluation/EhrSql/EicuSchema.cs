using System.Text.RegularExpressions;

namespace MedHelm.Evaluation.EhrSql;

/// <summary>One column of a CREATE TABLE statement.</summary>
/// <param name="Name">Column name (lower case).</param>
/// <param name="Type">Declared type as written, e.g. <c>VARCHAR(10)</c>, <c>NUMERIC(10,2)</c>.</param>
/// <param name="NotNull">True when declared NOT NULL.</param>
/// <param name="PrimaryKey">True when declared PRIMARY KEY.</param>
public sealed record SchemaColumn(string Name, string Type, bool NotNull, bool PrimaryKey)
{
    /// <summary>The length of a VARCHAR column, else null.</summary>
    public int? MaxLength => Regex.Match(Type, @"^VARCHAR\((\d+)\)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant) is { Success: true } m
        ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)
        : null;
}

/// <summary>One table: its name, columns in order and the CREATE TABLE statement.</summary>
public sealed record SchemaTable(string Name, IReadOnlyList<SchemaColumn> Columns, string CreateStatement)
{
    /// <summary>The column named <paramref name="name"/>, or null.</summary>
    public SchemaColumn? Column(string name) => Columns.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase));
}

/// <summary>The tables of a DDL text (the CREATE TABLE statements of EHRSQL's <c>eicu.sql</c>).</summary>
public static partial class EicuSchema
{
    /// <summary>Parses every CREATE TABLE statement; FOREIGN KEY / constraint lines are kept in the statement but are not columns.</summary>
    /// <exception cref="FormatException">No CREATE TABLE statement, or a column line that cannot be read.</exception>
    public static IReadOnlyList<SchemaTable> Parse(string ddl)
    {
        ArgumentNullException.ThrowIfNull(ddl);
        var tables = new List<SchemaTable>();
        foreach (Match m in CreateTable().Matches(ddl))
        {
            var name = m.Groups["name"].Value.ToLowerInvariant();
            var body = m.Groups["body"].Value;
            var columns = new List<SchemaColumn>();
            foreach (var part in SplitTopLevel(body))
            {
                var line = part.Trim();
                if (line.Length == 0 || ConstraintStart().IsMatch(line))
                {
                    continue;
                }

                var column = ColumnLine().Match(line);
                if (!column.Success)
                {
                    throw new FormatException($"Table {name}: cannot read the column definition '{line}'.");
                }

                var rest = column.Groups["rest"].Value;
                columns.Add(new SchemaColumn(
                    column.Groups["name"].Value.ToLowerInvariant(),
                    column.Groups["type"].Value.Trim(),
                    rest.Contains("NOT NULL", StringComparison.OrdinalIgnoreCase) || rest.Contains("PRIMARY KEY", StringComparison.OrdinalIgnoreCase),
                    rest.Contains("PRIMARY KEY", StringComparison.OrdinalIgnoreCase)));
            }

            if (columns.Count == 0)
            {
                throw new FormatException($"Table {name} has no columns.");
            }

            tables.Add(new SchemaTable(name, columns, m.Value.Trim().TrimEnd(';').Trim() + ";"));
        }

        if (tables.Count == 0)
        {
            throw new FormatException("The DDL holds no CREATE TABLE statement.");
        }

        return tables;
    }

    // Splits on commas outside parentheses (NUMERIC(10,2) stays whole).
    private static IEnumerable<string> SplitTopLevel(string body)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < body.Length; i++)
        {
            switch (body[i])
            {
                case '(':
                    depth++;
                    break;
                case ')':
                    depth--;
                    break;
                case ',' when depth == 0:
                    yield return body[start..i];
                    start = i + 1;
                    break;
            }
        }

        yield return body[start..];
    }

    [GeneratedRegex(@"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?<name>\w+)\s*\((?<body>(?:[^()]|\((?:[^()]|\([^()]*\))*\))*)\)\s*;?", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex CreateTable();

    [GeneratedRegex(@"^(?:FOREIGN\s+KEY|PRIMARY\s+KEY|CONSTRAINT|UNIQUE|CHECK)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ConstraintStart();

    [GeneratedRegex(@"^(?<name>\w+)\s+(?<type>[A-Za-z]+(?:\s+PRECISION)?(?:\s*\([\d\s,]+\))?)(?<rest>.*)$", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex ColumnLine();
}
