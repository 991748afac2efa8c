using System.Diagnostics;
using System.Globalization;
using System.Text;
using MedHelm.Evaluation.Files;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace MedHelm.Evaluation.Metrics;

/// <summary>Outcome of one query: the rows, or an error (syntax, time limit, row limit).</summary>
public sealed record SqlQueryResult(IReadOnlyList<object?[]> Rows, string? Error)
{
    /// <summary>True when the query ran to completion.</summary>
    public bool Succeeded => Error is null;
}

/// <summary>
/// Runs single SQL statements against a SQLite file opened read-only (<c>Mode=ReadOnly</c>, <c>query_only</c>,
/// no ATTACH), with a wall-clock limit enforced by a progress handler and a row limit. Thread-safe (one query at a time).
/// </summary>
public sealed class SqliteQueryRunner : IDisposable
{
    /// <summary>Python's <c>sqlite3.ProgrammingError</c> for text after the first statement.</summary>
    public const string OneStatementError = "You can only execute one statement at a time.";

    /// <summary>What the file is, in messages.</summary>
    private const string What = "EHRSQL database";

    private readonly SqliteConnection _connection;
    private readonly Lock _gate = new();
    private readonly TimeSpan _timeout;
    private readonly int _maxRows;

    /// <summary>
    /// Opens the database read-only, after checking by its header that it is a SQLite database and reading its schema,
    /// so that a wrong or damaged file is refused before any query (rather than failing every one).
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">It is a folder or special file, is empty, is not SQLite, or is damaged (the path is named).</exception>
    public SqliteQueryRunner(string databasePath, TimeSpan timeout, int maxRows)
    {
        ArgumentException.ThrowIfNullOrEmpty(databasePath);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);
        SqliteFiles.EnsureDatabase(databasePath, What);

        _timeout = timeout;
        _maxRows = maxRows;
        var builder = new SqliteConnectionStringBuilder { DataSource = databasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false };
        _connection = new SqliteConnection(builder.ToString());
        try
        {
            _connection.Open();
            using (var pragma = _connection.CreateCommand())
            {
                pragma.CommandText = "PRAGMA query_only = ON; SELECT count(*) FROM sqlite_master;";
                pragma.ExecuteScalar();
            }

            const int SqliteLimitAttached = 7;
            raw.sqlite3_limit(_connection.Handle!, SqliteLimitAttached, 0);
        }
        catch (SqliteException e)
        {
            _connection.Dispose();
            throw new InvalidDataException($"The {What} {databasePath} cannot be read as SQLite (SQLite: {e.Message}); it was left untouched.", e);
        }
    }

    /// <summary>Runs the first statement of <paramref name="sql"/>.</summary>
    /// <param name="sql">SQL text.</param>
    /// <param name="allowTrailingText">False: as Python's <c>sqlite3</c> <c>cursor.execute</c> decides — anything but
    /// white space and comments after the first statement (a second statement, even a bare <c>;</c>) is the error
    /// <see cref="OneStatementError"/>, and text with no statement at all (empty, comments, bare semicolons) runs
    /// and returns no rows. True: anything after the first statement is ignored, and text with no statement is an
    /// error.</param>
    /// <param name="cancellationToken">Interrupts the query.</param>
    public SqlQueryResult Execute(string sql, bool allowTrailingText, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sql);
        lock (_gate)
        {
            var db = _connection.Handle!;
            var clock = Stopwatch.StartNew();
            var timedOut = false;
            raw.sqlite3_progress_handler(db, 1000, _ =>
            {
                if (clock.Elapsed > _timeout)
                {
                    timedOut = true;
                    return 1;
                }

                return cancellationToken.IsCancellationRequested ? 1 : 0;
            }, null);
            try
            {
                return Run(db, sql, allowTrailingText, () => timedOut, cancellationToken);
            }
            finally
            {
                raw.sqlite3_progress_handler(db, 0, null, null);
            }
        }
    }

    private SqlQueryResult Run(sqlite3 db, string sql, bool allowTrailingText, Func<bool> timedOut, CancellationToken cancellationToken)
    {
        var rc = raw.sqlite3_prepare_v2(db, sql, out var stmt, out var tail);
        using (stmt)
        {
            if (rc != raw.SQLITE_OK)
            {
                return Fail(db, rc, timedOut());
            }

            if (!allowTrailingText && HasMoreThanComments(tail))
            {
                return new SqlQueryResult([], OneStatementError);
            }

            if (stmt is null || stmt.IsInvalid)
            {
                return allowTrailingText ? new SqlQueryResult([], "no SQL statement") : new SqlQueryResult([], null);
            }

            var rows = new List<object?[]>();
            while (true)
            {
                rc = raw.sqlite3_step(stmt);
                if (rc == raw.SQLITE_DONE)
                {
                    return new SqlQueryResult(rows, null);
                }

                if (rc != raw.SQLITE_ROW)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    return Fail(db, rc, timedOut());
                }

                if (rows.Count >= _maxRows)
                {
                    return new SqlQueryResult([], $"row limit exceeded (more than {_maxRows} rows)");
                }

                var count = raw.sqlite3_column_count(stmt);
                var row = new object?[count];
                for (var i = 0; i < count; i++)
                {
                    row[i] = raw.sqlite3_column_type(stmt, i) switch
                    {
                        raw.SQLITE_INTEGER => raw.sqlite3_column_int64(stmt, i),
                        raw.SQLITE_FLOAT => raw.sqlite3_column_double(stmt, i),
                        raw.SQLITE_TEXT => raw.sqlite3_column_text(stmt, i).utf8_to_string(),
                        raw.SQLITE_BLOB => raw.sqlite3_column_blob(stmt, i).ToArray(),
                        _ => null,
                    };
                }

                rows.Add(row);
            }
        }
    }

    // Python's sqlite3 (CPython's lstrip_sql): skips ' ', \t, \f, \n, \r, "--" line comments and "/* */" comments;
    // anything else left after the first statement is an error.
    private static bool HasMoreThanComments(string? tail)
    {
        if (string.IsNullOrEmpty(tail))
        {
            return false;
        }

        var i = 0;
        while (i < tail.Length)
        {
            var c = tail[i];
            if (c is ' ' or '\t' or '\f' or '\n' or '\r')
            {
                i++;
            }
            else if (c == '-' && i + 1 < tail.Length && tail[i + 1] == '-')
            {
                var end = tail.IndexOf('\n', i + 2);
                if (end < 0)
                {
                    return false;
                }

                i = end + 1;
            }
            else if (c == '/' && i + 1 < tail.Length && tail[i + 1] == '*')
            {
                var end = tail.IndexOf("*/", i + 2, StringComparison.Ordinal);
                if (end < 0)
                {
                    return false;
                }

                i = end + 2;
            }
            else
            {
                return true;
            }
        }

        return false;
    }

    private SqlQueryResult Fail(sqlite3 db, int rc, bool timedOut)
    {
        if (timedOut)
        {
            return new SqlQueryResult([], $"time limit exceeded ({_timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s)");
        }

        return new SqlQueryResult([], $"{raw.sqlite3_errmsg(db).utf8_to_string()} (SQLite code {rc})");
    }

    /// <summary>
    /// A key equal for rows Python considers equal: integers and integral floats alike (1 == 1.0), text, blobs and
    /// NULL distinct from each other.
    /// </summary>
    public static string RowKey(object?[] row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var sb = new StringBuilder();
        foreach (var value in row)
        {
            var (tag, text) = value switch
            {
                null => ('n', ""),
                long l => ('i', l.ToString(CultureInfo.InvariantCulture)),
                double d when Math.Abs(d) < 9.2e18 && Math.Floor(d) == d => ('i', ((long)d).ToString(CultureInfo.InvariantCulture)),
                double d => ('r', d.ToString("R", CultureInfo.InvariantCulture)),
                string s => ('t', s),
                byte[] b => ('b', Convert.ToHexString(b)),
                _ => ('o', Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""),
            };
            sb.Append(tag).Append(text.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(text);
        }

        return sb.ToString();
    }

    /// <inheritdoc />
    public void Dispose() => _connection.Dispose();
}
