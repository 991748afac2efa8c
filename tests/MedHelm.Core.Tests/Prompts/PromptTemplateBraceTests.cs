using MedHelm.Core.Prompts;

namespace MedHelm.Core.Tests.Prompts;

public sealed class PromptTemplateBraceTests
{
    [Theory]
    [InlineData("Note: {note}\n{question}")]
    [InlineData("Literal {{braces}} and {note}")]
    [InlineData("}}{{")]
    [InlineData("{{{note}")]
    [InlineData("no slots at all")]
    public void Balanced_templates_have_no_stray_brace(string template) => Assert.Null(PromptTemplateSlots.FirstStrayBrace(template));

    [Theory]
    [InlineData("Note: {note", 6)]
    [InlineData("Note: note}", 10)]
    [InlineData("{question} {", 11)]
    [InlineData("{ note }", 0)]
    [InlineData("{1note}", 0)]
    [InlineData("{note}}", 6)]
    [InlineData("{}", 0)]
    [InlineData("{{question}", 10)]
    public void The_first_stray_brace_is_found(string template, int index) => Assert.Equal(index, PromptTemplateSlots.FirstStrayBrace(template));
}
