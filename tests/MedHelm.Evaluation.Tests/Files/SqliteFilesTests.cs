using System.Security.Cryptography;
using System.Text;
using MedHelm.Evaluation.Files;
using MedHelm.Evaluation.Metrics;
using Microsoft.Data.Sqlite;

namespace MedHelm.Evaluation.Tests.Files;

/// <summary>The EHRSQL database given to <c>metrics score</c> or a run: anything but a readable SQLite database is refused before any query, untouched.</summary>
public sealed class SqliteFilesTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _temp.Dispose();
    }

    public static TheoryData<string, string> Files => new()
    {
        { "text", "is not a SQLite database" },
        { "empty", "is empty (0 bytes)" },
        { "short-header", "is not a SQLite database" },
        { "sqlite2", "is not a SQLite database" },
        { "header-then-garbage", "cannot be read as SQLite" },
        { "schema-page-zeroed", "cannot be read as SQLite" },
    };

    [Theory]
    [MemberData(nameof(Files))]
    public void The_metric_refuses_it_naming_the_path_and_leaves_it_untouched(string kind, string reason)
    {
        var path = _temp.File(kind + ".sqlite");
        File.WriteAllBytes(path, Bytes(kind));
        var before = SHA256.HashData(File.ReadAllBytes(path));

        var e = Assert.Throws<InvalidDataException>(() => new EhrSqlExecutionAccuracy(path));

        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.Contains("left untouched", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(path)));
        Assert.False(File.Exists(path + "-journal") || File.Exists(path + "-wal"));
    }

    [Fact]
    public void A_folder_a_named_pipe_and_a_missing_file_are_refused_without_opening()
    {
        Directory.CreateDirectory(_temp.File("db"));
        Assert.Contains("is a folder", Assert.Throws<InvalidDataException>(() => new EhrSqlExecutionAccuracy(_temp.File("db"))).Message, StringComparison.Ordinal);

        NamedPipes.Create(_temp.File("pipe"));
        Assert.Contains("is a named pipe", Assert.Throws<InvalidDataException>(() => new EhrSqlExecutionAccuracy(_temp.File("pipe"))).Message, StringComparison.Ordinal);
        Assert.Throws<FileNotFoundException>(() => new EhrSqlExecutionAccuracy(_temp.File("missing.sqlite")));
    }

    [Fact]
    public void A_real_database_passes_and_is_told_by_its_header()
    {
        var path = ValidDatabase("ok.sqlite");
        using var runner = new SqliteQueryRunner(path, TimeSpan.FromSeconds(5), 10);
        Assert.Equal(2L, runner.Execute("select count(*) from patient", false).Rows[0][0]);
        Assert.Equal(SqliteFileStart.Sqlite, SqliteFiles.ReadStart(path));
        Assert.Equal(SqliteFileStart.Other, SqliteFiles.ReadStart(_temp.Write("t.txt", "SQLite format 2")));
    }

    private byte[] Bytes(string kind)
    {
        var valid = File.ReadAllBytes(ValidDatabase("valid-" + kind + ".sqlite"));
        var pageSize = valid[16] << 8 | valid[17];
        return kind switch
        {
            "text" => Encoding.UTF8.GetBytes("uniquepid,age\n002-1,54\n"),
            "empty" => [],
            "short-header" => [.. "SQLite form"u8],
            "sqlite2" => [.. "** This file contains an SQLite 2.1 database **"u8, .. new byte[1000]],
            "header-then-garbage" => [.. valid[..100], .. Enumerable.Range(0, pageSize * 2).Select(i => (byte)(i * 7 + 3))],
            _ => [.. valid[..100], .. new byte[pageSize - 100], .. valid[pageSize..]],
        };
    }

    private string ValidDatabase(string name)
    {
        var path = _temp.File(name);
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE patient (uniquepid TEXT, age INTEGER); INSERT INTO patient VALUES ('002-1', 54), ('002-2', 61);";
            command.ExecuteNonQuery();
        }

        return path;
    }
}
