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
    public void A_character_cut_by_the_end_of_generation_is_held_back_not_replaced()
    {
        var emitted = new List<string>();
        var assembler = new OutputTextAssembler([], emitted.Add);
        assembler.Append("A"u8);
        assembler.Append([0xE2, 0x82]); // the first two bytes of "€"
        assembler.Complete();
        Assert.Equal("A", assembler.Text);
        Assert.Equal("A", string.Concat(emitted));
    }

    [Fact]
    public void Invalid_bytes_inside_the_output_still_become_replacement_characters()
    {
        var assembler = new OutputTextAssembler([], null);
        assembler.Append([0x41, 0xFF, 0x42]);
        assembler.Append([0xE2, 0x82, 0xAC]);
        assembler.Complete();
        Assert.Equal("A\uFFFDB\u20AC", assembler.Text);
    }
}
