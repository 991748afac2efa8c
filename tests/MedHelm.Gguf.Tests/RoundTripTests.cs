using System.Buffers.Binary;
using MedHelm.Gguf.Quantization;
using MedHelm.Gguf.Tests.Support;

namespace MedHelm.Gguf.Tests;

public sealed class RoundTripTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Metadata_of_every_type_round_trips()
    {
        var w = new GgufWriter()
            .Add("t.u8", (byte)200)
            .Add("t.i8", (sbyte)-100)
            .Add("t.u16", (ushort)60000)
            .Add("t.i16", (short)-30000)
            .Add("t.u32", 4_000_000_000u)
            .Add("t.i32", -2_000_000_000)
            .Add("t.f32", 3.25f)
            .Add("t.bool", true)
            .Add("t.str", "héllo ▁wörld <｜User｜>")
            .Add("t.empty", string.Empty)
            .Add("t.u64", ulong.MaxValue)
            .Add("t.i64", long.MinValue)
            .Add("t.f64", Math.PI)
            .Add("a.u8", new byte[] { 1, 2, 255 })
            .Add("a.i8", new sbyte[] { -1, 0, 127 })
            .Add("a.u16", new ushort[] { 1, 65535 })
            .Add("a.i16", new short[] { -32768, 5 })
            .Add("a.u32", new uint[] { 0, uint.MaxValue })
            .Add("a.i32", new[] { -1, 1, 3 })
            .Add("a.f32", new[] { 1.5f, -0.0f, float.MaxValue })
            .Add("a.bool", new[] { true, false, true })
            .Add("a.str", new[] { "a", string.Empty, "<0x0A>", "▁patient" })
            .Add("a.u64", new ulong[] { 7, ulong.MaxValue })
            .Add("a.i64", new long[] { long.MaxValue, -7 })
            .Add("a.f64", new[] { 0.1, -2.5 })
            .Add("a.empty", Array.Empty<int>());
        var path = _temp.File("meta.gguf");
        w.WriteTo(path);

        var f = GgufReader.Read(path);
        Assert.Equal(3u, f.Version);
        Assert.Empty(f.Tensors);
        Assert.Equal(26, f.Metadata.Count);
        Assert.Equal("t.u8", f.MetadataEntries[0].Key);
        Assert.Equal((byte)200, f.Metadata["t.u8"].Value);
        Assert.Equal((sbyte)-100, f.Metadata["t.i8"].Value);
        Assert.Equal((ushort)60000, f.Metadata["t.u16"].Value);
        Assert.Equal((short)-30000, f.Metadata["t.i16"].Value);
        Assert.Equal(4_000_000_000u, f.Metadata["t.u32"].AsUInt32());
        Assert.Equal(-2_000_000_000, f.Metadata["t.i32"].AsInt32());
        Assert.Equal(3.25f, f.GetFloat32("t.f32"));
        Assert.True(f.GetBool("t.bool"));
        Assert.Equal("héllo ▁wörld <｜User｜>", f.GetString("t.str"));
        Assert.Equal(string.Empty, f.GetString("t.empty"));
        Assert.Equal(ulong.MaxValue, f.Metadata["t.u64"].AsUInt64());
        Assert.Equal(long.MinValue, f.Metadata["t.i64"].AsInt64());
        Assert.Equal(Math.PI, f.Metadata["t.f64"].AsFloat64());
        Assert.Equal(new byte[] { 1, 2, 255 }, f.Metadata["a.u8"].AsArray<byte>());
        Assert.Equal(new sbyte[] { -1, 0, 127 }, f.Metadata["a.i8"].AsArray<sbyte>());
        Assert.Equal(new ushort[] { 1, 65535 }, f.Metadata["a.u16"].AsArray<ushort>());
        Assert.Equal(new short[] { -32768, 5 }, f.Metadata["a.i16"].AsArray<short>());
        Assert.Equal(new uint[] { 0, uint.MaxValue }, f.Metadata["a.u32"].AsArray<uint>());
        Assert.Equal(new[] { -1, 1, 3 }, f.Metadata["a.i32"].AsArray<int>());
        Assert.Equal(new[] { 1.5f, -0.0f, float.MaxValue }, f.Metadata["a.f32"].AsArray<float>());
        Assert.Equal(new[] { true, false, true }, f.Metadata["a.bool"].AsArray<bool>());
        Assert.Equal(new[] { "a", string.Empty, "<0x0A>", "▁patient" }, f.GetStringArray("a.str"));
        Assert.Equal(new ulong[] { 7, ulong.MaxValue }, f.Metadata["a.u64"].AsArray<ulong>());
        Assert.Equal(new long[] { long.MaxValue, -7 }, f.Metadata["a.i64"].AsArray<long>());
        Assert.Equal(new[] { 0.1, -2.5 }, f.Metadata["a.f64"].AsArray<double>());
        Assert.Equal(GgufValueType.Int32, f.Metadata["a.empty"].ElementType);
        Assert.Equal(0, f.Metadata["a.empty"].Count);
        Assert.Equal("arr[str]", f.Metadata["a.str"].TypeDescription);

        Assert.Equal(4_000_000_000u, f.GetUInt32("t.u32"));
        Assert.Equal(200u, f.GetUInt32("t.u8"));
        Assert.True(f.TryGetString("t.str", out _));
        Assert.False(f.TryGetString("t.u8", out _));
        var missing = Assert.Throws<GgufFormatException>(() => f.GetString("nope"));
        Assert.Contains("meta.gguf", missing.Message);
        var wrong = Assert.Throws<GgufFormatException>(() => f.GetString("t.u32"));
        Assert.Contains("t.u32", wrong.Message);
    }

    [Fact]
    public void Tensors_round_trip_with_alignment_and_data()
    {
        var f32 = Enumerable.Range(0, 6).Select(i => i * 0.5f - 1f).ToArray();
        var q8 = Enumerable.Range(0, 64).Select(i => (i - 32) / 8f).ToArray();
        var f16 = new[] { 1f, -2f, 0.5f };
        var raw = new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 };
        var w = new GgufWriter()
            .Add("general.architecture", "test")
            .AddTensor("a", [3, 2], GgmlType.F32, f32)
            .AddTensor("b", [32, 2], GgmlType.Q8_0, q8)
            .AddTensor("c", [3], GgmlType.F16, f16)
            .AddTensor("d", [2, 1, 2, 1], GgmlType.I16, raw);
        var path = _temp.File("tensors.gguf");
        w.WriteTo(path);

        var f = GgufReader.Read(path);
        Assert.Equal(4, f.Tensors.Count);
        Assert.Equal(0, f.DataOffset % 32);
        Assert.Equal(32u, f.Alignment);
        Assert.Equal(new long[] { 3, 2 }, f.Tensors[0].Shape);
        Assert.Equal(GgmlType.F32, f.Tensors[0].Type);
        Assert.Equal(24, f.Tensors[0].ByteSize);
        Assert.Equal(0ul, f.Tensors[0].Offset);
        Assert.Equal(GgmlType.Q8_0, f.Tensors[1].Type);
        Assert.Equal(68, f.Tensors[1].ByteSize);
        Assert.Equal(32ul, f.Tensors[1].Offset);
        Assert.Equal(6, f.Tensors[2].ByteSize);
        Assert.Equal(128ul, f.Tensors[2].Offset);
        Assert.Equal(new long[] { 2, 1, 2, 1 }, f.Tensors[3].Shape);
        Assert.Equal("[2, 1, 2, 1]", f.Tensors[3].ShapeText);
        Assert.Same(f.Tensors[1], f.FindTensor("b"));

        var bytes = File.ReadAllBytes(path);
        var a = f.Tensors[0];
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(f32[i], BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan((int)(f.DataOffset + (long)a.Offset) + 4 * i)));
        }
        var b = f.Tensors[1];
        var deq = GgmlQuantizer.DequantizeQ8_0(bytes.AsSpan((int)(f.DataOffset + (long)b.Offset), (int)b.ByteSize));
        for (var i = 0; i < 64; i++)
        {
            Assert.InRange(Math.Abs(deq[i] - q8[i]), 0, 0.02f);
        }
        var c = f.Tensors[2];
        Assert.Equal((Half)(-2f), BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan((int)(f.DataOffset + (long)c.Offset) + 2)));
        var d = f.Tensors[3];
        Assert.Equal(raw, bytes.AsSpan((int)(f.DataOffset + (long)d.Offset), 8).ToArray());
        Assert.Equal(0, bytes.Length % 32);
    }

    [Fact]
    public void Custom_alignment_is_honoured()
    {
        var w = new GgufWriter().Add("general.alignment", 64u)
            .AddTensor("x", [5], GgmlType.F32, new float[5])
            .AddTensor("y", [5], GgmlType.F32, new float[5]);
        var path = _temp.File("align64.gguf");
        w.WriteTo(path);
        var f = GgufReader.Read(path);
        Assert.Equal(64u, f.Alignment);
        Assert.Equal(0, f.DataOffset % 64);
        Assert.Equal(64ul, f.Tensors[1].Offset);
    }

    [Fact]
    public void Writer_rejects_bad_input_and_leaves_no_file_behind()
    {
        var w = new GgufWriter().Add("k", 1);
        Assert.Throws<ArgumentException>(() => w.Add("k", 2));
        Assert.Throws<ArgumentException>(() => w.AddTensor("q", [31], GgmlType.Q8_0, new float[31]));
        Assert.Throws<ArgumentException>(() => w.AddTensor("z", [0], GgmlType.F32, Array.Empty<float>()));
        Assert.Throws<ArgumentException>(() => w.AddTensor("n", [4], GgmlType.F32, new float[3]));
        Assert.Throws<ArgumentException>(() => w.AddTensor("r", [4], GgmlType.F32, new byte[15]));
        Assert.Throws<NotSupportedException>(() => w.AddTensor("k4", [256], GgmlType.Q4_K, new float[256]));
        w.AddTensor("t", [4], GgmlType.F32, new float[4]);
        Assert.Throws<ArgumentException>(() => w.AddTensor("t", [4], GgmlType.F32, new float[4]));

        var missingDir = Path.Combine(_temp.Path, "no-such-dir", "x.gguf");
        Assert.ThrowsAny<IOException>(() => w.WriteTo(missingDir));

        var path = _temp.File("ok.gguf");
        w.WriteTo(path);
        w.WriteTo(path); // overwrite works
        Assert.Equal(new[] { "ok.gguf" }, Directory.GetFiles(_temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Version_2_files_are_accepted()
    {
        var path = RawGguf.Header(0, 1, version: 2).KvString("general.architecture", "llama").WriteTo(_temp.File("v2.gguf"));
        var f = GgufReader.Read(path);
        Assert.Equal(2u, f.Version);
        Assert.Equal("llama", f.Architecture);
    }

    [Fact]
    public void Type_traits_match_ggml()
    {
        Assert.Equal((32, 34), Tr(GgmlType.Q8_0));
        Assert.Equal((32, 18), Tr(GgmlType.Q4_0));
        Assert.Equal((256, 144), Tr(GgmlType.Q4_K));
        Assert.Equal((256, 176), Tr(GgmlType.Q5_K));
        Assert.Equal((256, 210), Tr(GgmlType.Q6_K));
        Assert.Equal((256, 84), Tr(GgmlType.Q2_K));
        Assert.Equal((256, 110), Tr(GgmlType.Q3_K));
        Assert.Equal((1, 2), Tr(GgmlType.BF16));
        Assert.Equal((256, 136), Tr(GgmlType.IQ4_XS));
        Assert.Equal((256, 54), Tr(GgmlType.TQ1_0));
        Assert.Equal(8, (int)GgmlType.Q8_0);
        Assert.Equal(30, (int)GgmlType.BF16);
        Assert.False(GgmlTypes.IsKnown(4));
        Assert.False(GgmlTypes.IsKnown(43));

        static (int, int) Tr(GgmlType t) => (GgmlTypes.GetTraits(t).BlockSize, GgmlTypes.GetTraits(t).TypeSize);
    }

    [Theory]
    [InlineData("ggml-vocab-llama-spm.gguf", "llama")]
    [InlineData("ggml-vocab-bert-bge.gguf", "bert")]
    [InlineData("ggml-vocab-llama-bpe.gguf", "gpt2")]
    public void Reads_llama_cpp_own_vocab_files(string fileName, string tokenizerModel)
    {
        var path = RepositoryPaths.ExistingFile("runtimes", "llama", "src", "models", fileName);
        Assert.True(path is not null, $"{fileName} is missing: scripts/test.sh unpacks the pinned llama.cpp source with scripts/install-runtime.sh --source");
        var f = GgufReader.Read(path);
        Assert.Equal(tokenizerModel, f.GetString("tokenizer.ggml.model"));
        Assert.NotEmpty(f.GetStringArray("tokenizer.ggml.tokens"));
    }
}
