using System.Security.Cryptography;
using System.Text;
using MedHelm.Application.Errors;
using MedHelm.Evaluation.Results;
using MedHelm.Storage.Tests.Support;
using Microsoft.Data.Sqlite;

namespace MedHelm.Storage.Tests;

/// <summary>
/// The database campaign (issue 16): files at the results database's path that are not SQLite, are damaged, or are
/// locked. Each is refused with a typed error naming the path, and the file is left byte for byte as it was.
/// </summary>
public sealed class DatabaseFileCampaignTests
{
    /// <summary>name → how to turn a valid results database (its bytes) into the file under test.</summary>
    private static readonly Dictionary<string, Func<byte[], byte[]>> Damages = new()
    {
        ["random-bytes"] = _ => Random(8192, 1),
        ["text"] = _ => Encoding.UTF8.GetBytes("hello, this is not a database\n"),
        ["json"] = _ => Encoding.UTF8.GetBytes("{\"runs\": []}"),
        ["gguf"] = _ => Encoding.ASCII.GetBytes("GGUF\u0003\0\0\0").Concat(new byte[64]).ToArray(),
        ["zip"] = _ => new byte[] { 0x50, 0x4B, 0x03, 0x04 }.Concat(new byte[200]).ToArray(),
        ["one-byte"] = _ => [0x53],
        ["header-without-nul"] = _ => Encoding.ASCII.GetBytes("SQLite format 3"),
        ["sqlite2-header"] = _ => Encoding.ASCII.GetBytes("SQLite format 2\0").Concat(new byte[4080]).ToArray(),
        ["html"] = _ => Encoding.UTF8.GetBytes("<!doctype html><html><body>results</body></html>"),
        ["utf16-bom"] = _ => [0xFF, 0xFE, 0x53, 0x00, 0x51, 0x00],
        ["header-only"] = db => db[..100],
        ["first-page-only-then-garbage"] = db => db[..PageSize(db)].Concat(Random(db.Length - PageSize(db), 2)).ToArray(),
        ["schema-page-zeroed"] = db => Patch(db, 100, new byte[PageSize(db) - 100]),
        ["schema-page-garbage"] = db => Patch(db, 100, Random(PageSize(db) - 100, 3)),
        ["page-size-invalid"] = db => Patch(db, 16, [0x00, 0x03]),
        ["page-size-zero"] = db => Patch(db, 16, [0x00, 0x00]),
        ["header-then-zeros"] = db => db[..100].Concat(new byte[PageSize(db) * 3]).ToArray(),
        ["payload-fractions"] = db => Patch(db, 21, [0x10, 0x10, 0x10]),
        ["schema-format-99"] = db => Patch(db, 44, [0, 0, 0, 99]),
        ["btree-page-type-garbage"] = db => Patch(db, 100, [0x77]),
        ["truncated-to-two-pages"] = db => db[..(PageSize(db) * 2)],
        // SQLite files that are not (this version's) results databases: nothing may be added to them
        ["another-sqlite-database"] = _ => WithSql(null, "CREATE TABLE patient (uniquepid TEXT); INSERT INTO patient VALUES ('002-1');"),
        ["newer-schema-version"] = db => WithSql(db, "INSERT INTO schema_version (version, applied_utc) VALUES (99, 'x');"),
    };

    public static TheoryData<string> Names => new(Damages.Keys);

    /// <summary>The damaged files, plus the locked database, the folder and the named pipe below.</summary>
    [Fact]
    public void The_campaign_holds_at_least_20_files() => Assert.True(Damages.Count + 3 >= 20, $"{Damages.Count} + 3 cases");

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Refused_naming_the_path_and_left_untouched(string name)
    {
        using var temp = new TempDatabase();
        var valid = await ValidDatabaseAsync(temp);
        await File.WriteAllBytesAsync(temp.DatabasePath, Damages[name](valid));
        var before = SHA256.HashData(await File.ReadAllBytesAsync(temp.DatabasePath));

        var e = await Assert.ThrowsAsync<RequestValidationException>(async () =>
        {
            await using var store = await new SqliteResultsDatabaseFactory().OpenAsync(temp.DatabasePath, create: true);
            await store.ListRunsAsync();
            await store.GetAuditAsync(null);
        });

        Assert.Contains(temp.DatabasePath, e.Message, StringComparison.Ordinal);
        Assert.Contains("left untouched", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, SHA256.HashData(await File.ReadAllBytesAsync(temp.DatabasePath)));
    }

    [Fact]
    public async Task A_locked_database_is_refused_and_keeps_its_rows_and_integrity()
    {
        using var temp = new TempDatabase();
        await ValidDatabaseAsync(temp);
        var rows = await RawSql.QueryAsync(temp.DatabasePath, "SELECT COUNT(*) FROM runs");

        await using (var holder = new SqliteConnection($"Data Source={temp.DatabasePath};Pooling=False"))
        {
            await holder.OpenAsync();
            await using var exclusive = holder.CreateCommand();
            exclusive.CommandText = "PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE;";
            await exclusive.ExecuteNonQueryAsync();

            var builder = new SqliteDataSourceBuilder(temp.DatabasePath) { BusyTimeout = TimeSpan.FromMilliseconds(50), CommandTimeoutSeconds = 1, Pooling = false };
            var e = Assert.Throws<ConflictException>(() => builder.Build());
            Assert.Contains(temp.DatabasePath, e.Message, StringComparison.Ordinal);
            Assert.Contains("locked by another process", e.Message, StringComparison.Ordinal);
        }

        Assert.Equal(rows, await RawSql.QueryAsync(temp.DatabasePath, "SELECT COUNT(*) FROM runs"));
        Assert.Equal(["ok"], await RawSql.QueryAsync(temp.DatabasePath, "PRAGMA integrity_check"));
    }

    [Fact]
    public async Task A_folder_or_a_named_pipe_at_the_path_is_refused()
    {
        using var temp = new TempDatabase();
        Directory.CreateDirectory(temp.DatabasePath);
        var folder = await Assert.ThrowsAsync<RequestValidationException>(() => new SqliteResultsDatabaseFactory().OpenAsync(temp.DatabasePath, create: true));
        Assert.Contains("is a folder", folder.Message, StringComparison.Ordinal);

        Directory.Delete(temp.DatabasePath);
        NamedPipes.Create(temp.DatabasePath);
        var pipe = await Assert.ThrowsAsync<RequestValidationException>(() => new SqliteResultsDatabaseFactory().OpenAsync(temp.DatabasePath, create: true));
        Assert.Contains("is a named pipe", pipe.Message, StringComparison.Ordinal);
    }

    /// <summary>A results database with a few runs, checkpointed into its main file (no -wal left), returned as bytes.</summary>
    private static async Task<byte[]> ValidDatabaseAsync(TempDatabase temp)
    {
        await using (var store = await SqliteResultStore.OpenAsync(temp.DatabasePath))
        {
            foreach (var i in Enumerable.Range(0, 3))
            {
                await store.SaveRunAsync(Samples.Run($"run-{i}", RunStatus.Completed));
            }
        }
        SqliteConnection.ClearAllPools();
        await RawSql.ExecuteAsync(temp.DatabasePath, "PRAGMA wal_checkpoint(TRUNCATE);");
        SqliteConnection.ClearAllPools();
        return await File.ReadAllBytesAsync(temp.DatabasePath);
    }

    /// <summary>The bytes of a SQLite file after <paramref name="sql"/> ran on <paramref name="db"/> (or on a new file), with no -wal left.</summary>
    private static byte[] WithSql(byte[]? db, string sql)
    {
        var path = Path.Combine(Path.GetTempPath(), $"medhelm-campaign-{Guid.NewGuid():N}.sqlite");
        try
        {
            if (db is not null)
            {
                File.WriteAllBytes(path, db);
            }

            using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
            {
                connection.Open();
                using var command = connection.CreateCommand();
                command.CommandText = sql + " PRAGMA wal_checkpoint(TRUNCATE);";
                command.ExecuteNonQuery();
            }

            return File.ReadAllBytes(path);
        }
        finally
        {
            foreach (var file in new[] { path, path + "-wal", path + "-shm" })
            {
                File.Delete(file);
            }
        }
    }

    private static int PageSize(byte[] db) => db[16] << 8 | db[17];

    private static byte[] Patch(byte[] db, int offset, byte[] bytes)
    {
        var copy = db.ToArray();
        bytes.CopyTo(copy, offset);
        return copy;
    }

    private static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
