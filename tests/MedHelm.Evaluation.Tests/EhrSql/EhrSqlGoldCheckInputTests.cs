using MedHelm.Evaluation.Datasets;
using MedHelm.Evaluation.EhrSql;
using Microsoft.Data.Sqlite;

namespace MedHelm.Evaluation.Tests.EhrSql;

/// <summary><c>ehrsql check --path</c>: a question file that cannot be read is refused naming it and the line, not an unexpected error.</summary>
public sealed class EhrSqlGoldCheckInputTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        _temp.Dispose();
    }

    [Theory]
    [InlineData("[\n{\"id\": \"a\", \"query\": \"select 1\"},\n{\"id\": \"b\", \"query\": select }\n]", 3, null)]
    [InlineData("[\n{\"id\": \"a\",\n \"query\": \"select '\\ud800'\"}\n]", 3, "query")]
    [InlineData("{\"questions\": []}", 1, null)]
    [InlineData("", null, null)]
    public void A_bad_question_file_is_refused_naming_it(string json, int? line, string? field)
    {
        var database = _temp.File("eicu.sqlite");
        using (var connection = new SqliteConnection($"Data Source={database};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE patient (uniquepid TEXT);";
            command.ExecuteNonQuery();
        }

        var questions = _temp.Write("test.json", json);

        var e = Assert.Throws<DatasetFormatException>(() => EhrSqlGoldCheck.Run(database, [questions]));

        Assert.Contains(questions, e.Message, StringComparison.Ordinal);
        if (line is not null)
        {
            Assert.Contains($"(line {line})", e.Message, StringComparison.Ordinal);
        }

        if (field is not null)
        {
            Assert.Contains($"field '{field}'", e.Message, StringComparison.Ordinal);
        }
    }
}
