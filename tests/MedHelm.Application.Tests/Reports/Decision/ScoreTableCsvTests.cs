using MedHelm.Application.Reports.Decision;
using MedHelm.Core.Decision;

namespace MedHelm.Application.Tests.Reports.Decision;

public class ScoreTableCsvTests
{
    private static ScoreFileCheck Read(string csv)
    {
        using var folder = new TempFolder();
        return DecisionReportService.ReadScores(folder.Write("scores.csv", csv));
    }

    private static IReadOnlyList<string> Problems(string csv) => Read(csv).Problems.Problems.Select(p => p.ToString()).ToArray();

    [Fact]
    public void A_valid_table_reads_with_display_or_run_spec_names_in_any_column_order()
    {
        var check = Read("benchmark,score,model\nPubMedQA,0.75,a\npubmed_qa,0.5,b\naci_bench,4.5,a\nACI-Bench,3,b\n\n");

        Assert.True(check.Problems.IsValid);
        var table = check.Table!;
        Assert.Equal(["a", "b"], table.Models);
        Assert.Equal(JuryScale.OneToFive, table.JuryScale);
        Assert.Equal(0.75, table.Get("a", "pubmed_qa")!.Score);
        Assert.Equal(3, table.Get("b", "aci_bench")!.Score);
        Assert.Equal(64, check.File!.Sha256.Length);
    }

    [Fact]
    public void A_byte_order_mark_crlf_line_ends_and_quoted_names_are_read()
    {
        var check = Read("\uFEFFmodel,benchmark,score\r\n\"Model, with comma\",pubmed_qa,0.8\r\nB,pubmed_qa,0.7\r\n");

        Assert.True(check.Problems.IsValid, string.Join("\n", check.Problems.Lines()));
        Assert.Equal(["Model, with comma", "B"], check.Table!.Models);
    }

    [Fact]
    public void A_decimal_comma_is_a_row_of_the_wrong_width()
    {
        var problems = Problems("model,benchmark,score\na,pubmed_qa,0.8\ng,medec,0,5\n");

        Assert.Contains(problems, p => p.Contains("(line 3)", StringComparison.Ordinal) && p.Contains("4 cells", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_problem_is_listed_with_its_line()
    {
        var problems = Problems(
            "model,benchmark,score\n" +
            "a,pubmed_qa,0.8\n" +      // 2 fine
            "b,pubmed_qa,abc\n" +      // 3 not a number
            "a,aci_bench,0.2\n" +      // 4 jury score below 1
            "a,PubMedQA,0.9\n" +       // 5 duplicate of line 2 (by display name)
            "c,no_such_bench,0.5\n" +  // 6 unknown benchmark
            "d,medec,NaN\n" +          // 7 not finite
            "e,medec,1.5\n" +          // 8 above 1
            "f,medec,\n" +             // 9 empty
            "g,medec,1e400\n");        // 10 overflows to infinity

        string[] expected =
        [
            "(line 3): field 'score': 'abc' is not a number",
            "(line 4): field 'score': 0.2 is out of range: aci_bench takes a jury score on the 1-5 scale",
            "(line 5): 'a' × pubmed_qa is already on line 2",
            "(line 6): field 'benchmark': unknown benchmark 'no_such_bench'",
            "(line 7): field 'score': 'NaN' is not a finite number",
            "(line 8): field 'score': 1.5 is out of range: medec takes a score between 0 and 1",
            "(line 9): field 'score': the value is empty",
            "(line 10): field 'score': '1e400' is not a finite number",
        ];
        Assert.Equal(expected.Length, problems.Count);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Contains(expected[i], problems[i], StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_model_sharing_no_benchmark_with_the_others_is_an_error_naming_its_first_line()
    {
        var problems = Problems("model,benchmark,score\na,pubmed_qa,0.8\nb,pubmed_qa,0.7\nloner,head_qa,0.4\nloner,medec,0.4\n");

        Assert.Equal("(line 4): field 'model': 'loner' shares no benchmark with any other model, so no win rate can compare it",
            problems.Single()[problems.Single().IndexOf("(line", StringComparison.Ordinal)..]);
    }

    [Fact]
    public void A_single_model_is_allowed()
    {
        Assert.True(Read("model,benchmark,score\nonly,pubmed_qa,0.8\nonly,head_qa,0.4\n").Problems.IsValid);
    }

    [Theory]
    [InlineData("model,benchmark\na,pubmed_qa\n", "field 'score': the required column is missing")]
    [InlineData("model,benchmark,score,comment\na,pubmed_qa,0.5,x\n", "field 'comment': unexpected column")]
    [InlineData("model,benchmark,score\n", "the table has no rows")]
    [InlineData("", "the file is empty")]
    public void Header_and_empty_files_are_reported(string csv, string expected)
    {
        Assert.Contains(Problems(csv), p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void A_missing_file_is_a_problem_not_an_exception()
    {
        var check = DecisionReportService.ReadScores(Path.Combine(Path.GetTempPath(), "medhelm-no-such-scores.csv"));

        Assert.Contains("the file does not exist", check.Problems.Problems.Single().Problem, StringComparison.Ordinal);
        Assert.Null(check.Table);
    }

    [Fact]
    public void The_report_entry_throws_with_every_problem_attached()
    {
        using var folder = new TempFolder();
        var path = folder.Write("bad.csv", "model,benchmark,score\na,x,1\nb,y,2\n");

        var e = Assert.Throws<Evaluation.Datasets.DatasetFormatException>(() => DecisionReportService.FromScores(path));

        Assert.Equal(2, e.Problems.Count);
        Assert.Contains("(and 1 more problem)", e.Message, StringComparison.Ordinal);
    }
}
