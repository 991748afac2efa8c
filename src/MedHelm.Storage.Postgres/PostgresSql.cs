using System.Globalization;
using Npgsql;
using NpgsqlTypes;

namespace MedHelm.Storage.Postgres;

/// <summary>Commands, parameters and the text formats shared by the PostgreSQL stores (times as SQLite writes them).</summary>
internal static class PostgresSql
{
    /// <summary>A command in <paramref name="transaction"/>.</summary>
    public static NpgsqlCommand Command(NpgsqlTransaction transaction, string sql) => new(sql, transaction.Connection, transaction);

    /// <summary>A command on <paramref name="connection"/>.</summary>
    public static NpgsqlCommand Command(NpgsqlConnection connection, string sql) => new(sql, connection);

    /// <summary>Adds <c>@name</c> (null as NULL; a null's type comes from where it is used).</summary>
    public static NpgsqlCommand With(this NpgsqlCommand command, string name, object? value)
    {
        command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    /// <summary>Adds <c>@name</c> as text (null as a typed NULL, so <c>@name IS NULL</c> works).</summary>
    public static NpgsqlCommand WithText(this NpgsqlCommand command, string name, string? value)
    {
        command.Parameters.Add(new NpgsqlParameter<string?>(name, NpgsqlDbType.Text) { TypedValue = value });
        return command;
    }

    /// <summary>Every row of <paramref name="command"/>, each made by <paramref name="read"/>.</summary>
    public static async Task<IReadOnlyList<T>> ReadAllAsync<T>(NpgsqlCommand command, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken)
    {
        var list = new List<T>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(read(reader));
        }

        return list;
    }

    public static string? NullableString(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public static long? NullableLong(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);

    public static double? NullableDouble(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetDouble(ordinal);

    public static DateTimeOffset? NullableTime(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : ParseTime(reader.GetString(ordinal));

    /// <summary>ISO 8601 UTC with seven fractional digits, as the SQLite provider writes it (text sorts in time order).</summary>
    public static string FormatTime(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    public static DateTimeOffset ParseTime(string text) =>
        DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);

    public static string Now() => FormatTime(DateTimeOffset.UtcNow);

    /// <summary>A JSON string literal, or <c>null</c>.</summary>
    public static string Json(string? value) => value is null ? "null" : System.Text.Json.JsonSerializer.Serialize(value);

    /// <summary>A 64-bit advisory-lock key of <paramref name="text"/> (the first 8 bytes of its SHA-256).</summary>
    public static long LockKey(string text) =>
        BitConverter.ToInt64(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)), 0);
}
