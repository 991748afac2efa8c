using MedHelm.Core.Metrics;
using MedHelm.Evaluation.Metrics;
using Microsoft.Data.Sqlite;

namespace MedHelm.Evaluation.Tests.Metrics;

public sealed class EhrSqlExecutionAccuracyTests : IDisposable
{
    private const string GoldQuery = "select distinct medication.routeadmin from medication where medication.drugname = 'aspirin'";
    private readonly TempFolder _folder = new();
    private readonly string _database;
    private readonly EhrSqlExecutionAccuracy _metric;

    public EhrSqlExecutionAccuracyTests()
    {
        _database = Path.Combine(_folder.Path, "eicu.sqlite");
        using (var connection = new SqliteConnection($"Data Source={_database};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                create table medication (medicationid integer, patientunitstayid integer, drugname text, routeadmin text, dose real);
                insert into medication values (1, 10, 'aspirin', 'po', 81.0), (2, 10, 'aspirin', 'po', 81), (3, 11, 'aspirin', 'iv', 1),
                                              (4, 12, 'heparin', 'sc', 5000), (5, 12, 'nothing', null, null);
                create table patient (uniquepid text, age text);
                insert into patient values ('002-1', '65'), ('002-2', '70');
                """;
            command.ExecuteNonQuery();
        }

        _metric = new EhrSqlExecutionAccuracy(_database, TimeSpan.FromSeconds(1), maxRows: 1000);
    }

    public void Dispose()
    {
        _metric.Dispose();
        SqliteConnection.ClearAllPools();
        _folder.Dispose();
    }

    private double Score(string? prediction, string query, ScoringMode mode, bool? impossible = null, object? value = null)
    {
        var fields = new List<(string, object?)> { ("query", query) };
        if (impossible is { } i)
        {
            fields.Add(("is_impossible", i));
        }

        if (value is not null)
        {
            fields.Add(("value", value));
        }

        return _metric.Score(prediction, GoldRecord.From([.. fields]), mode)[EhrSqlExecutionAccuracy.MetricName];
    }

    [Theory]
    [InlineData(ScoringMode.Helm)]
    [InlineData(ScoringMode.Corrected)]
    public void Equal_result_sets_score_one_regardless_of_order_and_duplicates(ScoringMode mode)
    {
        Assert.Equal(1, Score("SELECT routeadmin FROM medication WHERE drugname = 'aspirin' ORDER BY routeadmin DESC;", GoldQuery, mode));
        Assert.Equal(1, Score("<sql>select routeadmin from medication where drugname='aspirin'</sql>", GoldQuery, mode));
        Assert.Equal(0, Score("select routeadmin from medication", GoldQuery, mode));
    }

    [Fact]
    public void Integer_and_real_values_compare_like_python()
    {
        Assert.Equal(1, Score("select 81", "select dose from medication where medicationid in (1, 2)", ScoringMode.Corrected));
        Assert.Equal(0, Score("select '81'", "select dose from medication where medicationid = 1", ScoringMode.Corrected));
    }

    [Fact]
    public void Code_fences_are_handled_in_both_modes_differently()
    {
        const string fenced = "Here is the query:\n```sql\nselect routeadmin from medication where drugname = 'aspirin';\n```\nIt lists routes.";
        Assert.Equal(0, Score(fenced, GoldQuery, ScoringMode.Helm)); // backticks removed, prose stays: syntax error
        Assert.Equal(1, Score(fenced, GoldQuery, ScoringMode.Corrected));
        Assert.Equal(1, Score("```\nselect routeadmin from medication where drugname = 'aspirin'\n```", GoldQuery, ScoringMode.Helm));
    }

    [Fact]
    public void Sql_extraction()
    {
        Assert.Equal("select 1", EhrSqlExecutionAccuracy.ExtractSql("<SQL> select 1 </sql>", ScoringMode.Helm));
        Assert.Equal("select 1", EhrSqlExecutionAccuracy.ExtractSql("```sql\nselect 1\n```", ScoringMode.Helm));
        Assert.Equal("select 1", EhrSqlExecutionAccuracy.ExtractSql("<sql>select 1", ScoringMode.Corrected));
        Assert.Equal("select 1;", EhrSqlExecutionAccuracy.ExtractSql("The answer:\nselect 1;", ScoringMode.Corrected));
        Assert.Equal("select `drugname` from medication", EhrSqlExecutionAccuracy.ExtractSql("SQL: select `drugname` from medication", ScoringMode.Corrected));
        Assert.Equal("", EhrSqlExecutionAccuracy.ExtractSql("  \n ", ScoringMode.Corrected));
    }

    [Fact]
    public void Trailing_statement_is_an_error_in_helm_mode_and_ignored_when_corrected()
    {
        const string twoStatements = "select routeadmin from medication where drugname = 'aspirin'; select 1;";
        Assert.Equal(0, Score(twoStatements, GoldQuery, ScoringMode.Helm));
        Assert.Equal(1, Score(twoStatements, GoldQuery, ScoringMode.Corrected));
        Assert.Equal(1, Score("select routeadmin from medication where drugname = 'aspirin'; -- done", GoldQuery, ScoringMode.Helm));
    }

    [Fact]
    public void Unanswerable_question_rule()
    {
        // Dataset: is_impossible true, query "null". HELM: "null" fails to run, both results empty, empty output -> 1.
        Assert.Equal(1, Score("", "null", ScoringMode.Helm, impossible: true, value: new Dictionary<string, string>()));
        Assert.Equal(1, Score("", "null", ScoringMode.Corrected, impossible: true));
        Assert.Equal(1, Score("<sql></sql>", "null", ScoringMode.Corrected, impossible: true));
        Assert.Equal(0, Score("<sql></sql>", "null", ScoringMode.Helm, impossible: true)); // raw output not empty
        Assert.Equal(0, Score("select 1", "null", ScoringMode.Corrected, impossible: true));
        // Empty gold query: never 1 in helm mode.
        Assert.Equal(0, Score("", "", ScoringMode.Helm));
        Assert.Equal(1, Score("", "", ScoringMode.Corrected));
    }

    [Fact]
    public void Empty_gold_result_with_values_never_scores_in_helm_mode()
    {
        const string gold = "select routeadmin from medication where drugname = 'warfarin'";
        var values = new Dictionary<string, string> { ["drug_name"] = "warfarin" };
        Assert.Equal(0, Score("select routeadmin from medication where drugname = 'warfarin'", gold, ScoringMode.Helm, value: values));
        Assert.Equal(0, Score("", gold, ScoringMode.Helm, value: values));
        Assert.Equal(1, Score("select routeadmin from medication where drugname = 'warfarin'", gold, ScoringMode.Corrected, value: values));
        Assert.Equal(0, Score("", gold, ScoringMode.Corrected, value: values));
    }

    [Theory]
    [InlineData(ScoringMode.Helm)]
    [InlineData(ScoringMode.Corrected)]
    public void Erroring_and_empty_predictions_score_zero(ScoringMode mode)
    {
        Assert.Equal(0, Score("select nonsense from nowhere", GoldQuery, mode));
        Assert.Equal(0, Score("", GoldQuery, mode));
        Assert.Equal(0, Score(null, GoldQuery, mode));
        Assert.Equal(0, Score("I cannot answer this.", GoldQuery, mode));
    }

    [Fact]
    public void Query_that_never_ends_is_interrupted()
    {
        const string forever = "with recursive r(x) as (select 1 union all select x + 1 from r) select count(*) from r";
        var started = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(0, Score(forever, "select 1", ScoringMode.Corrected));
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"took {started.Elapsed}");
        using var runner = new SqliteQueryRunner(_database, TimeSpan.FromMilliseconds(200), 10);
        var result = runner.Execute(forever, allowTrailingText: false);
        Assert.Contains("time limit", result.Error);
    }

    [Fact]
    public void Row_limit_and_writes_are_refused()
    {
        using var runner = new SqliteQueryRunner(_database, TimeSpan.FromSeconds(5), 3);
        Assert.Contains("row limit", runner.Execute("select * from medication", false).Error);
        Assert.NotNull(runner.Execute("delete from medication", false).Error);
        Assert.NotNull(runner.Execute("create table x (a)", false).Error);
        Assert.NotNull(runner.Execute($"attach database '{Path.Combine(_folder.Path, "other.db")}' as other", false).Error);
        Assert.Equal(5, new SqliteQueryRunner(_database, TimeSpan.FromSeconds(5), 100).Execute("select * from medication", false).Rows.Count);
        Assert.False(File.Exists(Path.Combine(_folder.Path, "other.db")));
    }

    [Fact]
    public void Unicode_and_huge_output()
    {
        Assert.Equal(0, Score("sélect — “quotes” 患者", GoldQuery, ScoringMode.Corrected));
        var huge = "select routeadmin from medication where drugname = 'aspirin' " + new string(' ', 1_000_000) + "-- end";
        Assert.Equal(1, Score(huge, GoldQuery, ScoringMode.Corrected));
    }

    [Fact]
    public void Aggregate_in_both_modes()
    {
        var a = _metric.Score("select routeadmin from medication where drugname = 'aspirin'", GoldRecord.From(("query", GoldQuery)), ScoringMode.Helm);
        var b = _metric.Score("", GoldRecord.From(("query", GoldQuery)), ScoringMode.Helm);
        var corrected = _metric.Aggregate([a, b], ScoringMode.Corrected);
        Assert.Equal(0.5, corrected[EhrSqlExecutionAccuracy.MetricName]);
        Assert.Equal(1.0, corrected["ehr_sql_precision_answerable"]);
        Assert.Equal(0.5, corrected["ehr_sql_recall_answerable"]);
        var helm = _metric.Aggregate([a, b], ScoringMode.Helm); // HELM's statistics: the mean of each per-instance value
        Assert.Equal(0.5, helm["ehr_sql_precision_answerable"]);
        Assert.Equal(0.5, helm["ehr_sql_recall_answerable"]);
        Assert.Equal(0.5, helm["ehr_sql_total_predicted_answerable"]);
        Assert.Equal(1.0, helm["ehr_sql_total_ground_truth_answerable"]);
    }

    [Fact]
    public void Missing_database_is_reported() =>
        Assert.Throws<FileNotFoundException>(() => new EhrSqlExecutionAccuracy(Path.Combine(_folder.Path, "missing.sqlite")));
}
