using System.Security.Cryptography;
using System.Text;
using MedHelm.Application.Errors;
using MedHelm.Application.Runs;
using MedHelm.Application.Tests.Support;
using MedHelm.Evaluation.Running;

namespace MedHelm.Application.Tests.Runs;

/// <summary>
/// The EHRSQL database a run executes queries against (issue 16): one that is not SQLite is refused with the reason
/// before any instance is generated, and the file is left as it was.
/// </summary>
public sealed class EhrSqlDatabaseInputTests
{
    public static TheoryData<string> NotSqlite => new() { "text", "empty", "gguf", "header-then-garbage", "sqlite-header-only" };

    [Theory]
    [MemberData(nameof(NotSqlite))]
    public async Task An_EHRSQL_database_that_is_not_SQLite_is_refused_before_the_run_and_left_untouched(string kind)
    {
        using var folder = new TempFolder();
        var database = folder.PathOf("eicu.sqlite");
        byte[] bytes = kind switch
        {
            "text" => Encoding.UTF8.GetBytes("patientunitstayid,age\n1,54\n"),
            "empty" => [],
            "gguf" => [.. "GGUF"u8, 3, 0, 0, 0, .. new byte[60]],
            "header-then-garbage" => [.. "SQLite format 3\0"u8, .. Enumerable.Range(0, 8192).Select(i => (byte)(i * 31))],
            _ => [.. "SQLite format 3\0"u8],
        };
        await File.WriteAllBytesAsync(database, bytes);
        var before = SHA256.HashData(bytes);
        await using var harness = new RunHarness(ehrSql: new EhrSqlDatabaseOptions { Database = database });
        var model = harness.Model("m");

        var e = await Assert.ThrowsAsync<RequestValidationException>(() =>
            harness.RunAsync(new RunRequest(["ehr_sql"], null, [model], ["none"], 2, "ehr", Samples: true)));

        Assert.StartsWith("EhrSql:Database: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(database, e.Message, StringComparison.Ordinal);
        Assert.Contains("left untouched", e.Message, StringComparison.Ordinal);
        Assert.Empty(harness.Loader.Leases); // refused before the model was asked for anything
        Assert.Equal(before, SHA256.HashData(await File.ReadAllBytesAsync(database)));
        await using var store = await harness.OpenDatabaseAsync();
        Assert.Empty(await store.ListRunsAsync());
    }

    [Fact]
    public async Task An_EHRSQL_database_that_is_a_named_pipe_is_refused_without_opening_it()
    {
        using var folder = new TempFolder();
        var pipe = NamedPipes.Create(folder.PathOf("eicu.sqlite"));

        await using var harness = new RunHarness(ehrSql: new EhrSqlDatabaseOptions { Database = pipe });
        var e = await Assert.ThrowsAsync<RequestValidationException>(() =>
            harness.RunAsync(new RunRequest(["ehr_sql"], null, [harness.Model("m")], ["none"], 2, "ehr", Samples: true)));
        Assert.Contains("is a named pipe", e.Message, StringComparison.Ordinal);
    }
}
