using System.Buffers.Binary;
using MedHelm.Gguf.Quantization;

namespace MedHelm.Gguf.Tests;

public sealed class QuantizationTests
{
    [Fact]
    public void Q8_0_matches_hand_computed_blocks()
    {
        var x = new float[96];
        // Block 0: max |x| = 127 -> d = 1, q = roundf(x) with halves away from zero.
        x[0] = 127f; x[1] = -127f; x[2] = 0.5f; x[3] = -0.5f; x[4] = 2.5f; x[5] = -2.5f; x[6] = 1.49f; x[7] = 100.2f;
        // Block 1: all zero -> d = 0, q = 0.
        // Block 2: max |x| = 63.5 -> d = 0.5, 1/d = 2.
        x[64] = 63.5f; x[65] = 0.25f; x[66] = -0.75f; x[67] = 10f; x[68] = -63.5f; x[69] = 0.2f;

        var q = GgmlQuantizer.QuantizeQ8_0(x);

        Assert.Equal(3 * 34, q.Length);
        Assert.Equal(0x3C00, BinaryPrimitives.ReadUInt16LittleEndian(q)); // f16(1.0)
        Assert.Equal(new sbyte[] { 127, -127, 1, -1, 3, -3, 1, 100, 0 }, Qs(q, 0).Take(9));
        Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(q.AsSpan(34)));
        Assert.All(Qs(q, 1), v => Assert.Equal(0, v));
        Assert.Equal(0x3800, BinaryPrimitives.ReadUInt16LittleEndian(q.AsSpan(68))); // f16(0.5)
        Assert.Equal(new sbyte[] { 127, 1, -2, 20, -127, 0, 0 }, Qs(q, 2).Take(7));

        var back = GgmlQuantizer.DequantizeQ8_0(q);
        Assert.Equal(0.5f, back[65]);
        Assert.Equal(-1f, back[66]);
    }

    [Fact]
    public void Q8_0_scale_is_rounded_to_f16_but_quants_use_the_f32_scale()
    {
        var x = new float[32];
        x[0] = 1f;
        x[1] = 0.3f;
        var q = GgmlQuantizer.QuantizeQ8_0(x);
        var d = 1f / 127f;
        Assert.Equal(BitConverter.HalfToUInt16Bits((Half)d), BinaryPrimitives.ReadUInt16LittleEndian(q));
        Assert.Equal(127, (sbyte)q[2]);
        Assert.Equal((sbyte)MathF.Round(0.3f * (1f / d), MidpointRounding.AwayFromZero), (sbyte)q[3]);
        Assert.Equal(38, (sbyte)q[3]);
    }

    [Fact]
    public void Q8_0_rejects_partial_blocks() =>
        Assert.Throws<ArgumentException>(() => GgmlQuantizer.QuantizeQ8_0(new float[33]));

    [Fact]
    public void F16_and_BF16_conversions()
    {
        var h = GgmlQuantizer.ToF16([1f, -2f, 65504f]);
        Assert.Equal(new byte[] { 0x00, 0x3C, 0x00, 0xC0, 0xFF, 0x7B }, h);
        var bf = GgmlQuantizer.ToBF16([1f, -2f, 1.00390625f]);
        Assert.Equal(new byte[] { 0x80, 0x3F, 0x00, 0xC0, 0x80, 0x3F }, bf); // 1 + 2^-8 is a tie -> even
    }

    private static sbyte[] Qs(byte[] q, int block) => q.AsSpan(block * 34 + 2, 32).ToArray().Select(b => (sbyte)b).ToArray();
}
