using System.Buffers.Binary;
using System.Text;

namespace MedHelm.Gguf.Tests.Support;

/// <summary>Builds GGUF files byte by byte, including deliberately broken ones.</summary>
public sealed class RawGguf
{
    private readonly MemoryStream _bytes = new();

    public long Length => _bytes.Length;

    /// <summary>A valid header start: magic, version, tensor count, kv count.</summary>
    public static RawGguf Header(ulong tensorCount, ulong kvCount, uint version = 3) =>
        new RawGguf().Raw("GGUF"u8).U32(version).U64(tensorCount).U64(kvCount);

    public RawGguf Raw(ReadOnlySpan<byte> data)
    {
        _bytes.Write(data);
        return this;
    }

    public RawGguf U8(byte v) => Raw([v]);

    public RawGguf U32(uint v)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        return Raw(b);
    }

    public RawGguf I32(int v) => U32(unchecked((uint)v));

    public RawGguf U64(ulong v)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, v);
        return Raw(b);
    }

    public RawGguf I64(long v) => U64(unchecked((ulong)v));

    public RawGguf F32(float v) => U32(BitConverter.SingleToUInt32Bits(v));

    /// <summary>A GGUF string: u64 length then UTF-8 bytes.</summary>
    public RawGguf Str(string s) => StrBytes(Encoding.UTF8.GetBytes(s));

    public RawGguf StrBytes(byte[] bytes) => U64((ulong)bytes.Length).Raw(bytes);

    public RawGguf KvU32(string key, uint value) => Str(key).U32(4).U32(value);

    public RawGguf KvString(string key, string value) => Str(key).U32(8).Str(value);

    public RawGguf KvStringArray(string key, params string[] values)
    {
        Str(key).U32(9).U32(8).U64((ulong)values.Length);
        foreach (var v in values)
        {
            Str(v);
        }
        return this;
    }

    /// <summary>Tensor info: name, n_dims, dims, type, offset.</summary>
    public RawGguf TensorInfo(string name, long[] dims, GgmlType type, ulong offset)
    {
        Str(name).U32((uint)dims.Length);
        foreach (var d in dims)
        {
            I64(d);
        }
        return I32((int)type).U64(offset);
    }

    /// <summary>Zero bytes up to the next multiple of <paramref name="alignment"/>.</summary>
    public RawGguf Align(int alignment = 32)
    {
        while (_bytes.Length % alignment != 0)
        {
            _bytes.WriteByte(0);
        }
        return this;
    }

    public RawGguf Zeros(int count) => Raw(new byte[count]);

    public byte[] ToArray() => _bytes.ToArray();

    public string WriteTo(string path)
    {
        File.WriteAllBytes(path, ToArray());
        return path;
    }
}
