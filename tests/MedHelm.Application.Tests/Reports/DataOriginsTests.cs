using MedHelm.Application.Reports;
using MedHelm.Application.Runs;
using static MedHelm.Application.Tests.Reports.StoredRuns;

namespace MedHelm.Application.Tests.Reports;

public sealed class DataOriginsTests
{
    private static ManifestBenchmark Benchmark(string name, string source, string? data = null) =>
        new(name, new string('d', 64), source, "test", 10, "exact_match", 1, []) { Data = data };

    [Theory]
    [InlineData("pubmed_qa", "bundled:pubmed_qa", null, DataOrigin.Bundled)] // a real public excerpt
    [InlineData("medec", "bundled:medec", null, DataOrigin.Bundled)]
    [InlineData("clear", "bundled:clear", null, DataOrigin.Synthetic)] // a private benchmark's stand-in
    [InlineData("med_qa", "bundled:med_qa", null, DataOrigin.Synthetic)] // no MedQA file to excerpt
    [InlineData("med_dialog", "bundled:med_dialog", null, DataOrigin.Synthetic)]
    [InlineData("pubmed_qa", "/srv/imports/pubmed_qa", null, DataOrigin.Imported)]
    [InlineData("pubmed_qa", "/srv/imports/pubmed_qa", "imported", DataOrigin.Imported)]
    [InlineData("pubmed_qa", "/srv/imports/pubmed_qa", "Synthetic", DataOrigin.Synthetic)] // as stated
    [InlineData("clear", "bundled:clear", "bundled", DataOrigin.Synthetic)] // never less caveated than the source says
    [InlineData("pubmed_qa", "bundled:pubmed_qa", "something-new", DataOrigin.Bundled)]
    public void The_data_comes_from_the_manifest_or_its_source(string name, string source, string? data, DataOrigin expected) =>
        Assert.Equal(expected, DataOrigins.Of(Benchmark(name, source, data)));

    [Fact]
    public void An_import_of_instances_marked_synthetic_is_synthetic()
    {
        var benchmark = Benchmark("shc_bmt_med", "/srv/imports/shc_bmt_med");
        Assert.Equal(DataOrigin.Synthetic, DataOrigins.Of(benchmark, [Instance("a", "A", synthetic: true), Instance("b", "B", synthetic: true)]));
        Assert.Equal(DataOrigin.Imported, DataOrigins.Of(benchmark, [Instance("a", "A", synthetic: true), Instance("b", "B")]));
        Assert.Equal(DataOrigin.Imported, DataOrigins.Of(benchmark, []));
    }

    [Fact]
    public void Names_and_marks()
    {
        Assert.Equal(["imported", "bundled", "synthetic"], Enum.GetValues<DataOrigin>().Select(DataOrigins.Name));
        Assert.Equal(Enum.GetValues<DataOrigin>(), Enum.GetValues<DataOrigin>().Select(o => DataOrigins.Parse(DataOrigins.Name(o))!.Value));
        Assert.Null(DataOrigins.Parse(null));
        Assert.Equal(["", "*", "†", ""], new DataOrigin?[] { DataOrigin.Imported, DataOrigin.Bundled, DataOrigin.Synthetic, null }.Select(DataOrigins.Mark));
        Assert.Equal("* bundled public excerpt, † synthetic stand-in: not evidence about any model", DataOrigins.Legend);
    }
}
