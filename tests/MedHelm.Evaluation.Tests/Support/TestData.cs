namespace MedHelm.Evaluation.Tests.Support;

/// <summary>Paths of the committed five-record PubMedQA excerpt.</summary>
public static class TestData
{
    public static string PubMedQaFolder => Path.Combine(AppContext.BaseDirectory, "Data", "pubmedqa");

    public static string TestSetJson => File.ReadAllText(Path.Combine(PubMedQaFolder, "test_set.json"));

    public static string GroundTruthJson => File.ReadAllText(Path.Combine(PubMedQaFolder, "test_ground_truth.json"));
}
