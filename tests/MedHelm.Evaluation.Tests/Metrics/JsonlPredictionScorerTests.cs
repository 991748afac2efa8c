using MedHelm.Core.Metrics;
using MedHelm.Evaluation.Metrics;

namespace MedHelm.Evaluation.Tests.Metrics;

public sealed class JsonlPredictionScorerTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static IMetric Metric(string name)
    {
        Assert.True(MetricRegistry.TryGet(name, out var metric));
        return metric;
    }

    [Fact]
    public async Task Scores_real_medcalc_rows_in_both_modes()
    {
        var file = Path.Combine(AppContext.BaseDirectory, "Data", "metrics", "medcalc_predictions.jsonl");
        var helm = await JsonlPredictionScorer.ScoreFileAsync(file, Metric("medcalc_bench_accuracy"), ScoringMode.Helm);
        var corrected = await JsonlPredictionScorer.ScoreFileAsync(file, Metric("medcalc_bench_accuracy"), ScoringMode.Corrected);
        Assert.Equal(6, helm.Lines.Count);
        Assert.Equal([1.0, 0, 1, 0, 1, 1], helm.Lines.Select(l => l.Scores["medcalc_bench_accuracy"]));
        Assert.Equal([1.0, 1, 1, 1, 1, 1], corrected.Lines.Select(l => l.Scores["medcalc_bench_accuracy"]));
        Assert.Equal(4.0 / 6, helm.Aggregate["medcalc_bench_accuracy"], 12);
        Assert.Equal(1.0, corrected.Aggregate["medcalc_bench_accuracy"], 12);
    }

    [Fact]
    public async Task Scores_real_medec_rows()
    {
        var file = Path.Combine(AppContext.BaseDirectory, "Data", "metrics", "medec_predictions.jsonl");
        var helm = await JsonlPredictionScorer.ScoreFileAsync(file, Metric("medec"), ScoringMode.Helm);
        var corrected = await JsonlPredictionScorer.ScoreFileAsync(file, Metric("medec"), ScoringMode.Corrected);
        Assert.Equal(1.0 / 3, helm.Aggregate[MedecMetrics.FlagAccuracy], 12);
        Assert.Equal(1.0, corrected.Aggregate[MedecMetrics.FlagAccuracy], 12);
        Assert.Equal(1.0, corrected.Aggregate[MedecMetrics.SentenceAccuracy], 12);
    }

    [Fact]
    public async Task A_line_on_which_helm_raises_is_undefined_in_helm_mode_and_left_out_of_the_aggregate()
    {
        const string lines = """
            {"prediction": "E11.65, I10", "gold": "E11.65"}
            {"prediction": "no code here", "gold": "none either"}
            """;
        var helm = await JsonlPredictionScorer.ScoreAsync(new StringReader(lines), "codes.jsonl", Metric("mimiciv_billing_code_f1"), ScoringMode.Helm);
        Assert.Null(helm.Lines[0].Undefined);
        Assert.Contains("ValueError", helm.Lines[1].Undefined);
        Assert.Empty(helm.Lines[1].Scores);
        Assert.Equal(2.0 / 3, helm.Aggregate[BillingCodeF1.F1Name], 12);
        var corrected = await JsonlPredictionScorer.ScoreAsync(new StringReader(lines), "codes.jsonl", Metric("mimiciv_billing_code_f1"), ScoringMode.Corrected);
        Assert.All(corrected.Lines, l => Assert.Null(l.Undefined));
        Assert.Equal(1.0 / 3, corrected.Aggregate[BillingCodeF1.F1Name], 12);
    }

    [Fact]
    public async Task Blank_lines_are_skipped_and_line_numbers_kept()
    {
        var file = _folder.Write("p.jsonl", "{\"prediction\":\"A.\",\"gold\":\"A\"}\n\n{\"prediction\":null,\"gold\":\"B\"}\n");
        var result = await JsonlPredictionScorer.ScoreFileAsync(file, Metric("exact_match"), ScoringMode.Corrected);
        Assert.Equal([1, 3], result.Lines.Select(l => l.Line));
        Assert.Equal(0.5, result.Aggregate["exact_match"]);
    }

    [Theory]
    [InlineData("{\"gold\":\"A\"}", "prediction")]
    [InlineData("{\"prediction\":\"A\"}", "gold")]
    [InlineData("{\"prediction\":3,\"gold\":\"A\"}", "prediction")]
    [InlineData("{\"prediction\":\"A\",\"gold\":{\"x\":1}}", "gold")]
    [InlineData("[1,2]", "")]
    [InlineData("{not json", "")]
    public async Task Bad_line_names_file_line_and_field(string badLine, string field)
    {
        var file = _folder.Write("bad.jsonl", "{\"prediction\":\"A\",\"gold\":\"A\"}\n" + badLine + "\n");
        var e = await Assert.ThrowsAsync<PredictionFileFormatException>(() => JsonlPredictionScorer.ScoreFileAsync(file, Metric("exact_match"), ScoringMode.Helm));
        Assert.Equal(2, e.Line);
        Assert.Equal(field, e.Field);
        Assert.Contains("bad.jsonl:2", e.Message);
    }

    [Fact]
    public async Task Missing_metric_specific_field_is_named()
    {
        var file = _folder.Write("m.jsonl", "{\"prediction\":\"3\",\"category\":\"lab\",\"gold\":\"3\",\"lower_limit\":\"2\"}\n");
        var e = await Assert.ThrowsAsync<PredictionFileFormatException>(() => JsonlPredictionScorer.ScoreFileAsync(file, Metric("medcalc_bench_accuracy"), ScoringMode.Corrected));
        Assert.Equal("upper_limit", e.Field);
    }

    [Fact]
    public async Task Invalid_utf8_is_reported()
    {
        var file = Path.Combine(_folder.Path, "bin.jsonl");
        await File.WriteAllBytesAsync(file, [(byte)'{', 0xC3, 0x28, (byte)'}', (byte)'\n']);
        var e = await Assert.ThrowsAsync<PredictionFileFormatException>(() => JsonlPredictionScorer.ScoreFileAsync(file, Metric("exact_match"), ScoringMode.Helm));
        Assert.Equal(1, e.Line);
    }

    [Fact]
    public async Task Missing_file_is_reported() =>
        await Assert.ThrowsAsync<FileNotFoundException>(() => JsonlPredictionScorer.ScoreFileAsync(Path.Combine(_folder.Path, "nope.jsonl"), Metric("exact_match"), ScoringMode.Helm));

    [Theory]
    [InlineData("")]
    [InlineData("\n  \n\n")]
    public async Task A_file_without_predictions_is_refused_instead_of_scoring_zero(string content)
    {
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => JsonlPredictionScorer.ScoreAsync(new StringReader(content), "empty.jsonl", Metric("exact_match"), ScoringMode.Helm));
        Assert.Equal("empty.jsonl: no predictions to score (the file is empty or holds only blank lines).", e.Message);
    }
}
