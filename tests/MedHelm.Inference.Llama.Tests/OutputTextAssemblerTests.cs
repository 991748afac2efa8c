using System.Text;
using MedHelm.Inference.Llama.Generation;

namespace MedHelm.Inference.Llama.Tests;

public sealed class OutputTextAssemblerTests
{
    [Fact]
    public void A_character_split_across_tokens_is_emitted_whole()
    {
        var emitted = new List<string>();
        var assembler = new OutputTextAssembler([], emitted.Add);
        var bytes = Encoding.UTF8.GetBytes("°C");
        assembler.Append(bytes.AsSpan(0, 1));
        Assert.Empty(emitted);
        assembler.Append(bytes.AsSpan(1));
        assembler.Complete();
        Assert.Equal("°C", string.Concat(emitted));
        Assert.Equal("°C", assembler.Text);
    }

    [Fact]
    public void A_stop_sequence_spanning_tokens_is_found_and_never_streamed()
    {
        var emitted = new List<string>();
        var assembler = new OutputTextAssembler(["\n\nQuestion"], emitted.Add);
        Assert.False(assembler.Append("B"u8));
        Assert.False(assembler.Append("\n\nQue"u8));
        Assert.True(assembler.Append("stion: next"u8));
        Assert.Equal("B", assembler.Text);
        Assert.Equal("B", string.Concat(emitted));
    }

    [Fact]
    public void A_dangling_partial_character_becomes_a_replacement_character_at_the_end()
    {
        var assembler = new OutputTextAssembler([], null);
        assembler.Append([0xE2, 0x82]);
        assembler.Complete();
        Assert.Equal("\uFFFD", assembler.Text);
    }
}
