using MedHelm.Gguf.Tests.Support;

namespace MedHelm.Gguf.Tests;

public sealed class MalformedFileTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private GgufFormatException Rejects(string fileName, RawGguf content, string expectedFragment, GgufReadLimits? limits = null) =>
        Rejects(fileName, content.ToArray(), expectedFragment, limits);

    private GgufFormatException Rejects(string fileName, byte[] content, string expectedFragment, GgufReadLimits? limits = null)
    {
        var path = _temp.File(fileName);
        File.WriteAllBytes(path, content);
        var e = Assert.Throws<GgufFormatException>(() => GgufReader.Read(path, limits));
        Assert.Contains(fileName, e.Message);
        Assert.Contains(expectedFragment, e.Message);
        Assert.Equal(path, e.Path);
        return e;
    }

    [Fact]
    public void Bad_magic()
    {
        var e = Rejects("model.gguf", new byte[16], "not a GGUF file");
        Assert.Equal("model.gguf is not a GGUF file (bad magic 0x00000000 at offset 0).", e.Message);
        Assert.Equal(0, e.Offset);
    }

    [Fact]
    public void Unsupported_versions()
    {
        Rejects("v1.gguf", RawGguf.Header(0, 0, version: 1), "version 1");
        var e = Rejects("v4.gguf", RawGguf.Header(0, 0, version: 4), "unsupported GGUF version 4");
        Assert.Equal(4, e.Offset);
        Rejects("be.gguf", RawGguf.Header(0, 0, version: 0x03000000), "big-endian");
    }

    [Fact]
    public void Empty_file() => Rejects("empty.gguf", Array.Empty<byte>(), "empty");

    [Fact]
    public void Directory_is_rejected()
    {
        var dir = _temp.File("folder.gguf");
        Directory.CreateDirectory(dir);
        var e = Assert.Throws<GgufFormatException>(() => GgufReader.Read(dir));
        Assert.Contains("folder.gguf", e.Message);
        Assert.Contains("directory", e.Message);
    }

    [Fact]
    public void Missing_file_is_rejected()
    {
        var e = Assert.Throws<GgufFormatException>(() => GgufReader.Read(_temp.File("absent.gguf")));
        Assert.Contains("absent.gguf", e.Message);
        Assert.Contains("does not exist", e.Message);
    }

    [Fact]
    public void Truncated_header()
    {
        Rejects("short.gguf", "GG"u8.ToArray(), "truncated");
        var e = Rejects("header.gguf", RawGguf.Header(0, 0).ToArray()[..20], "truncated");
        Assert.Equal(16, e.Offset);
    }

    [Fact]
    public void Truncated_in_metadata()
    {
        var full = RawGguf.Header(0, 2).KvString("general.architecture", "llama").KvU32("llama.block_count", 2).ToArray();
        Rejects("meta-cut.gguf", full[..^2], "truncated");
        Rejects("meta-cut2.gguf", full[..60], "truncated");
    }

    [Fact]
    public void Huge_kv_count() => Rejects("kv.gguf", RawGguf.Header(0, ulong.MaxValue), "metadata entries");

    [Fact]
    public void Kv_count_larger_than_the_file_can_hold() =>
        Rejects("kv-small.gguf", RawGguf.Header(0, 1000).KvU32("a", 1), "1000 metadata entries");

    [Fact]
    public void Huge_tensor_count() => Rejects("tensors.gguf", RawGguf.Header(2_000_000, 0).Zeros(64), "2000000 tensors");

    [Fact]
    public void Huge_string_length()
    {
        var content = RawGguf.Header(0, 1).Str("general.name").U32(8).U64(1UL << 40).Zeros(16);
        Rejects("string.gguf", content, "string length");
    }

    [Fact]
    public void String_over_the_configured_limit()
    {
        var content = RawGguf.Header(0, 1).KvString("general.name", new string('x', 100));
        Rejects("limit.gguf", content, "above the limit", new GgufReadLimits { MaxStringLength = 64 });
    }

    [Fact]
    public void Huge_array_length()
    {
        var content = RawGguf.Header(0, 1).Str("tokenizer.ggml.tokens").U32(9).U32(8).U64(1UL << 33).Zeros(32);
        Rejects("array.gguf", content, "array elements");
        var ints = RawGguf.Header(0, 1).Str("tokenizer.ggml.scores").U32(9).U32(6).U64(100).Zeros(32);
        Rejects("array2.gguf", ints, "100 array elements");
    }

    [Fact]
    public void Nested_arrays_and_unknown_value_types()
    {
        Rejects("nested.gguf", RawGguf.Header(0, 1).Str("k").U32(9).U32(9).U64(1).Zeros(16), "array element type 9");
        Rejects("badtype.gguf", RawGguf.Header(0, 1).Str("k").U32(13).Zeros(16), "invalid value type 13");
    }

    [Fact]
    public void Five_dimensions()
    {
        var content = RawGguf.Header(1, 0).TensorInfo("t", [1, 1, 1, 1, 1], GgmlType.F32, 0).Align().Zeros(32);
        Rejects("dims.gguf", content, "5 dimensions");
    }

    [Fact]
    public void Zero_and_negative_dimensions()
    {
        Rejects("zero.gguf", RawGguf.Header(1, 0).TensorInfo("t", [4, 0], GgmlType.F32, 0).Align().Zeros(32), "dimension 1");
        Rejects("neg.gguf", RawGguf.Header(1, 0).TensorInfo("t", [-4], GgmlType.F32, 0).Align().Zeros(32), "dimension 0");
    }

    [Fact]
    public void Unknown_ggml_type() =>
        Rejects("type.gguf", RawGguf.Header(1, 0).TensorInfo("t", [4], (GgmlType)4, 0).Align().Zeros(32), "unknown ggml type id 4");

    [Fact]
    public void Row_not_a_multiple_of_the_block_size() =>
        Rejects("block.gguf", RawGguf.Header(1, 0).TensorInfo("t", [33], GgmlType.Q8_0, 0).Align().Zeros(64), "block size 32");

    [Fact]
    public void Tensor_data_beyond_the_end_of_the_file()
    {
        var content = RawGguf.Header(1, 0).TensorInfo("big", [1024, 1024], GgmlType.F32, 0).Align().Zeros(64);
        var e = Rejects("beyond.gguf", content, "beyond the end of the file");
        Assert.Contains("'big'", e.Message);
    }

    [Fact]
    public void Tensor_offset_not_aligned() =>
        Rejects("unaligned.gguf", RawGguf.Header(1, 0).TensorInfo("t", [4], GgmlType.F32, 4).Align().Zeros(64), "not a multiple of the alignment");

    [Fact]
    public void Tensor_offsets_out_of_order()
    {
        var content = RawGguf.Header(2, 0)
            .TensorInfo("a", [4], GgmlType.F32, 32)
            .TensorInfo("b", [4], GgmlType.F32, 0)
            .Align().Zeros(64);
        Rejects("order.gguf", content, "data offset 32");
    }

    [Fact]
    public void Duplicate_key() =>
        Rejects("dupkey.gguf", RawGguf.Header(0, 2).KvU32("llama.block_count", 1).KvU32("llama.block_count", 2), "duplicate metadata key 'llama.block_count'");

    [Fact]
    public void Duplicate_tensor_name()
    {
        var content = RawGguf.Header(2, 0).TensorInfo("t", [8], GgmlType.F32, 0).TensorInfo("t", [8], GgmlType.F32, 32).Align().Zeros(64);
        Rejects("duptensor.gguf", content, "duplicate tensor name 't'");
    }

    [Fact]
    public void Invalid_utf8_key()
    {
        var content = RawGguf.Header(0, 1).StrBytes([0x67, 0xC3, 0x28, 0xFF]).U32(4).U32(1);
        var e = Rejects("utf8.gguf", content, "invalid UTF-8");
        Assert.Equal(32, e.Offset);
    }

    [Fact]
    public void Invalid_utf8_value_is_rejected_by_default_and_replaced_when_lenient()
    {
        var content = RawGguf.Header(0, 1).Str("general.name").U32(8).StrBytes([0x41, 0xFF, 0x42]);
        Rejects("utf8v.gguf", content, "invalid UTF-8");
        var f = GgufReader.Read(_temp.File("utf8v.gguf"), new GgufReadLimits { StrictUtf8Values = false });
        Assert.Equal("A\uFFFDB", f.GetString("general.name"));
    }

    [Fact]
    public void Empty_key() => Rejects("emptykey.gguf", RawGguf.Header(0, 1).Str(string.Empty).U32(4).U32(1), "empty key");

    [Fact]
    public void Bad_alignment()
    {
        Rejects("align.gguf", RawGguf.Header(0, 1).KvU32("general.alignment", 48), "not a power of two");
        Rejects("align2.gguf", RawGguf.Header(0, 1).KvString("general.alignment", "32"), "must be u32");
    }

    [Fact]
    public void Tensor_name_too_long() =>
        Rejects("longname.gguf", RawGguf.Header(1, 0).TensorInfo(new string('n', 64), [4], GgmlType.F32, 0).Align().Zeros(32), "longer than 63 bytes");
}
