namespace MedHelm.Core.Catalog;

/// <summary>One answer option of a multiple-choice instance.</summary>
public sealed record AnswerOption(char Letter, string Text);

/// <summary>One evaluation item.</summary>
/// <param name="Id">Stable identifier inside the benchmark (e.g. the PubMed id).</param>
/// <param name="Fields">Named context fields (see <see cref="BenchmarkDefinition.InputFields"/>).</param>
/// <param name="Question">The question text.</param>
/// <param name="Options">Answer options; empty for non-multiple-choice benchmarks.</param>
/// <param name="Gold">The reference answer; for letter answers the gold letter.</param>
/// <param name="Split">Dataset split, e.g. "test".</param>
public sealed record BenchmarkInstance(
    string Id,
    IReadOnlyDictionary<string, string> Fields,
    string Question,
    IReadOnlyList<AnswerOption> Options,
    string Gold,
    string Split)
{
    /// <summary>Extra per-instance data kept with the instance but not shown to the model (limits, source ids, ...).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = EmptyMetadata;

    /// <summary>The option letters in order.</summary>
    public IReadOnlyList<char> OptionLetters => Options.Select(o => o.Letter).ToArray();

    private static readonly IReadOnlyDictionary<string, string> EmptyMetadata =
        new Dictionary<string, string>(StringComparer.Ordinal);
}
