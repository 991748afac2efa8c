using MedHelm.Core.Catalog;
using MedHelm.Core.Prompts;

namespace MedHelm.Core.Tests.Prompts;

public class MultipleChoicePromptTests
{
    private static BenchmarkInstance Instance(string context = "Aims. First.\nMethods. Second.") => new(
        "123",
        new Dictionary<string, string> { [BuiltInBenchmarks.ContextField] = context },
        "Does it work?",
        [new AnswerOption('A', "yes"), new AnswerOption('B', "no"), new AnswerOption('C', "maybe")],
        "A",
        "test");

    [Fact]
    public void PubMedQa_prompt_has_the_HELM_joint_layout()
    {
        var prompt = MultipleChoicePrompt.Build(BuiltInBenchmarks.PubMedQa, Instance());

        Assert.Null(prompt.System);
        Assert.Equal(
            "Answer A for yes, B for no or C for maybe.\n\n" +
            "Context: Aims. First.\nMethods. Second.\n\n" +
            "Question: Does it work?\n" +
            "A. yes\nB. no\nC. maybe\n" +
            "Answer:",
            prompt.User);
    }

    [Fact]
    public void Missing_context_field_is_rejected()
    {
        var instance = Instance() with { Fields = new Dictionary<string, string>() };
        var ex = Assert.Throws<ArgumentException>(() => MultipleChoicePrompt.Build(BuiltInBenchmarks.PubMedQa, instance));
        Assert.Contains("context", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Instance_without_options_is_rejected() =>
        Assert.Throws<ArgumentException>(() => MultipleChoicePrompt.Build(BuiltInBenchmarks.PubMedQa, Instance() with { Options = [] }));

    [Fact]
    public void Template_uses_placeholders_and_hash_is_stable()
    {
        var template = MultipleChoicePrompt.Template(BuiltInBenchmarks.PubMedQa, ['A', 'B', 'C']);
        Assert.Contains("Context: {context}", template, StringComparison.Ordinal);
        Assert.Contains("Question: {question}", template, StringComparison.Ordinal);
        Assert.Contains("A. {option_A}", template, StringComparison.Ordinal);

        var hash = PromptTemplateHash.ForMultipleChoice(BuiltInBenchmarks.PubMedQa, ['A', 'B', 'C']);
        Assert.Matches("^[0-9a-f]{64}$", hash);
        Assert.Equal(hash, PromptTemplateHash.ForMultipleChoice(BuiltInBenchmarks.PubMedQa, ['A', 'B', 'C']));

        var changed = BuiltInBenchmarks.PubMedQa with { Instructions = "Answer with one letter." };
        Assert.NotEqual(hash, PromptTemplateHash.ForMultipleChoice(changed, ['A', 'B', 'C']));
    }

    [Fact]
    public void Hash_of_known_text() =>
        Assert.Equal(
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            PromptTemplateHash.Compute("abc"));
}
