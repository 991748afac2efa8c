using System.Buffers.Binary;
using System.Text;
using MedHelm.Gguf.Quantization;

namespace MedHelm.Gguf;

/// <summary>
/// Builds a GGUF v3 little-endian file in memory and writes it atomically (temp file in the same folder, then rename).
/// Metadata and tensors are written in the order they were added; tensor data is padded to the alignment
/// (general.alignment when added as u32, otherwise 32).
/// </summary>
public sealed class GgufWriter
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly List<KeyValuePair<string, GgufValue>> _metadata = new();
    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);
    private readonly List<PendingTensor> _tensors = new();
    private readonly HashSet<string> _tensorNames = new(StringComparer.Ordinal);

    private sealed record PendingTensor(string Name, long[] Shape, GgmlType Type, byte[] Data);

    public const uint Version = 3;

    public int MetadataCount => _metadata.Count;

    public int TensorCount => _tensors.Count;

    public GgufWriter Add(string key, GgufValue value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        if (!_keys.Add(key))
        {
            throw new ArgumentException($"Metadata key '{key}' was already added.", nameof(key));
        }
        if (key == "general.alignment")
        {
            if (value.Type != GgufValueType.UInt32 || value.AsUInt32() is 0 || (value.AsUInt32() & (value.AsUInt32() - 1)) != 0)
            {
                _keys.Remove(key);
                throw new ArgumentException("general.alignment must be a u32 power of two.", nameof(value));
            }
            if (_tensors.Count > 0)
            {
                _keys.Remove(key);
                throw new InvalidOperationException("Set general.alignment before adding tensors.");
            }
        }
        _metadata.Add(new KeyValuePair<string, GgufValue>(key, value));
        return this;
    }

    /// <summary>Replaces the value of <paramref name="key"/> in place (keeping its position), or adds it when absent.</summary>
    public GgufWriter Set(string key, GgufValue value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        var index = _metadata.FindIndex(kv => kv.Key == key);
        if (index < 0 || key == "general.alignment")
        {
            Remove(key);
            return Add(key, value);
        }
        _metadata[index] = new KeyValuePair<string, GgufValue>(key, value);
        return this;
    }

    /// <summary>Removes a metadata key; returns whether it was present.</summary>
    public bool Remove(string key)
    {
        _keys.Remove(key);
        return _metadata.RemoveAll(kv => kv.Key == key) > 0;
    }

    /// <summary>Removes a tensor; returns whether it was present.</summary>
    public bool RemoveTensor(string name)
    {
        _tensorNames.Remove(name);
        return _tensors.RemoveAll(t => t.Name == name) > 0;
    }

    /// <summary>Metadata keys added so far, in order.</summary>
    public IReadOnlyList<string> Keys => _metadata.Select(kv => kv.Key).ToList();

    /// <summary>The value added for <paramref name="key"/>, if any.</summary>
    public bool TryGet(string key, out GgufValue value)
    {
        var index = _metadata.FindIndex(kv => kv.Key == key);
        value = index >= 0 ? _metadata[index].Value : null!;
        return index >= 0;
    }

    /// <summary>Names of the tensors added so far, in order.</summary>
    public IReadOnlyList<string> TensorNames => _tensors.Select(t => t.Name).ToList();

    public GgufWriter Add(string key, byte value) => Add(key, GgufValue.FromUInt8(value));
    public GgufWriter Add(string key, sbyte value) => Add(key, GgufValue.FromInt8(value));
    public GgufWriter Add(string key, ushort value) => Add(key, GgufValue.FromUInt16(value));
    public GgufWriter Add(string key, short value) => Add(key, GgufValue.FromInt16(value));
    public GgufWriter Add(string key, uint value) => Add(key, GgufValue.FromUInt32(value));
    public GgufWriter Add(string key, int value) => Add(key, GgufValue.FromInt32(value));
    public GgufWriter Add(string key, float value) => Add(key, GgufValue.FromFloat32(value));
    public GgufWriter Add(string key, bool value) => Add(key, GgufValue.FromBool(value));
    public GgufWriter Add(string key, string value) => Add(key, GgufValue.FromString(value));
    public GgufWriter Add(string key, ulong value) => Add(key, GgufValue.FromUInt64(value));
    public GgufWriter Add(string key, long value) => Add(key, GgufValue.FromInt64(value));
    public GgufWriter Add(string key, double value) => Add(key, GgufValue.FromFloat64(value));
    public GgufWriter Add(string key, byte[] values) => Add(key, GgufValue.FromArray(values));
    public GgufWriter Add(string key, sbyte[] values) => Add(key, GgufValue.FromArray(values));
    public GgufWriter Add(string key, ushort[] values) => Add(key, GgufValue.FromArray(values));
    public GgufWriter Add(string key, short[] values) => Add(key, GgufValue.FromArray(values));
    public GgufWriter Add(string key, uint[] values) => Add(key, GgufValue.FromArray(values));
    public GgufWriter Add(string key, int[] values) => Add(key, GgufValue.FromArray(values));
    public GgufWriter Add(string key, float[] values) => Add(key, GgufValue.FromArray(values));
    public GgufWriter Add(string key, bool[] values) => Add(key, GgufValue.FromArray(values));
    public GgufWriter Add(string key, string[] values) => Add(key, GgufValue.FromArray(values));
    public GgufWriter Add(string key, ulong[] values) => Add(key, GgufValue.FromArray(values));
    public GgufWriter Add(string key, long[] values) => Add(key, GgufValue.FromArray(values));
    public GgufWriter Add(string key, double[] values) => Add(key, GgufValue.FromArray(values));

    /// <summary>Adds a tensor from float data, encoded as <paramref name="type"/> (f32, f16, bf16 or q8_0).</summary>
    /// <param name="shape">Dimensions in ggml order: ne0 (row length) first.</param>
    public GgufWriter AddTensor(string name, int[] shape, GgmlType type, ReadOnlySpan<float> data)
    {
        var dims = CheckShape(name, shape, type);
        var count = dims.Aggregate(1L, (a, d) => checked(a * d));
        if (data.Length != count)
        {
            throw new ArgumentException($"Tensor '{name}' with shape [{string.Join(", ", shape)}] needs {count} values, got {data.Length}.", nameof(data));
        }
        return AddChecked(name, dims, type, GgmlQuantizer.Quantize(data, type));
    }

    /// <summary>Adds a tensor from already-encoded bytes, whose length must match the type's block layout.</summary>
    public GgufWriter AddTensor(string name, int[] shape, GgmlType type, byte[] raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var dims = CheckShape(name, shape, type);
        var size = GgmlTypes.ByteSize(type, dims);
        if (raw.Length != size)
        {
            throw new ArgumentException($"Tensor '{name}' of type {GgmlTypes.Name(type)} with shape [{string.Join(", ", shape)}] needs {size} bytes, got {raw.Length}.", nameof(raw));
        }
        return AddChecked(name, dims, type, (byte[])raw.Clone());
    }

    private long[] CheckShape(string name, int[] shape, GgmlType type)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(shape);
        if (Utf8.GetByteCount(name) > 63)
        {
            throw new ArgumentException($"Tensor name '{name}' is longer than 63 bytes.", nameof(name));
        }
        if (_tensorNames.Contains(name))
        {
            throw new ArgumentException($"Tensor '{name}' was already added.", nameof(name));
        }
        if (shape.Length is 0 or > GgufReader.MaxDimensions)
        {
            throw new ArgumentException($"Tensor '{name}' must have 1 to {GgufReader.MaxDimensions} dimensions.", nameof(shape));
        }
        if (shape.Any(d => d <= 0))
        {
            throw new ArgumentException($"Tensor '{name}' has a non-positive dimension in [{string.Join(", ", shape)}].", nameof(shape));
        }
        if (!GgmlTypes.TryGetTraits(type, out var traits))
        {
            throw new ArgumentException($"Unknown ggml type {type}.", nameof(type));
        }
        if (shape[0] % traits.BlockSize != 0)
        {
            throw new ArgumentException($"Tensor '{name}': row length {shape[0]} is not a multiple of the {GgmlTypes.Name(type)} block size {traits.BlockSize}.", nameof(shape));
        }
        return shape.Select(d => (long)d).ToArray();
    }

    private GgufWriter AddChecked(string name, long[] shape, GgmlType type, byte[] data)
    {
        _tensorNames.Add(name);
        _tensors.Add(new PendingTensor(name, shape, type, data));
        return this;
    }

    private uint Alignment =>
        _metadata.FirstOrDefault(kv => kv.Key == "general.alignment").Value is { } v ? v.AsUInt32() : GgufReader.DefaultAlignment;

    /// <summary>Writes the file through a temp file in the same folder, replacing <paramref name="path"/> only when complete.</summary>
    public void WriteTo(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full) ?? ".";
        var temp = Path.Combine(dir, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                WriteTo(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(temp);
            }
            catch (IOException)
            {
                // best effort
            }
            throw;
        }
    }

    /// <summary>Writes the whole file to <paramref name="stream"/>.</summary>
    public void WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var alignment = Alignment;
        var w = new LittleEndianWriter(stream);

        w.Bytes(GgufReader.Magic);
        w.UInt32(Version);
        w.UInt64((ulong)_tensors.Count);
        w.UInt64((ulong)_metadata.Count);

        foreach (var (key, value) in _metadata)
        {
            w.String(key);
            WriteValue(w, value);
        }

        long offset = 0;
        foreach (var t in _tensors)
        {
            w.String(t.Name);
            w.UInt32((uint)t.Shape.Length);
            foreach (var d in t.Shape)
            {
                w.UInt64((ulong)d);
            }
            w.UInt32((uint)t.Type);
            w.UInt64((ulong)offset);
            offset += Pad(t.Data.Length, alignment);
        }

        w.Zeros(Pad(w.Position, alignment) - w.Position);
        foreach (var t in _tensors)
        {
            w.Bytes(t.Data);
            w.Zeros(Pad(t.Data.Length, alignment) - t.Data.Length);
        }
        w.Flush();
    }

    private static long Pad(long n, uint alignment) => (n + alignment - 1) / alignment * alignment;

    private static void WriteValue(LittleEndianWriter w, GgufValue value)
    {
        w.UInt32((uint)value.Type);
        if (value.IsArray)
        {
            var elem = value.ElementType!.Value;
            var array = (Array)value.Value;
            w.UInt32((uint)elem);
            w.UInt64((ulong)array.Length);
            foreach (var item in array)
            {
                WriteScalar(w, elem, item);
            }
        }
        else
        {
            WriteScalar(w, value.Type, value.Value);
        }
    }

    private static void WriteScalar(LittleEndianWriter w, GgufValueType type, object v)
    {
        switch (type)
        {
            case GgufValueType.UInt8: w.Byte((byte)v); break;
            case GgufValueType.Int8: w.Byte(unchecked((byte)(sbyte)v)); break;
            case GgufValueType.Bool: w.Byte((bool)v ? (byte)1 : (byte)0); break;
            case GgufValueType.UInt16: w.UInt16((ushort)v); break;
            case GgufValueType.Int16: w.UInt16(unchecked((ushort)(short)v)); break;
            case GgufValueType.UInt32: w.UInt32((uint)v); break;
            case GgufValueType.Int32: w.UInt32(unchecked((uint)(int)v)); break;
            case GgufValueType.Float32: w.UInt32(BitConverter.SingleToUInt32Bits((float)v)); break;
            case GgufValueType.UInt64: w.UInt64((ulong)v); break;
            case GgufValueType.Int64: w.UInt64(unchecked((ulong)(long)v)); break;
            case GgufValueType.Float64: w.UInt64(BitConverter.DoubleToUInt64Bits((double)v)); break;
            case GgufValueType.String: w.String((string)v); break;
            default: throw new InvalidOperationException($"Cannot write GGUF value type {type}.");
        }
    }

    private sealed class LittleEndianWriter
    {
        private readonly Stream _stream;
        private readonly byte[] _buf = new byte[8];

        public LittleEndianWriter(Stream stream) => _stream = stream;

        public long Position { get; private set; }

        public void Bytes(ReadOnlySpan<byte> data)
        {
            _stream.Write(data);
            Position += data.Length;
        }

        public void Byte(byte b)
        {
            _buf[0] = b;
            Bytes(_buf.AsSpan(0, 1));
        }

        public void UInt16(ushort v)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(_buf, v);
            Bytes(_buf.AsSpan(0, 2));
        }

        public void UInt32(uint v)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(_buf, v);
            Bytes(_buf.AsSpan(0, 4));
        }

        public void UInt64(ulong v)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(_buf, v);
            Bytes(_buf.AsSpan(0, 8));
        }

        public void String(string s)
        {
            var bytes = Utf8.GetBytes(s);
            UInt64((ulong)bytes.Length);
            Bytes(bytes);
        }

        public void Zeros(long count)
        {
            Span<byte> zeros = stackalloc byte[64];
            zeros.Clear();
            while (count > 0)
            {
                var n = (int)Math.Min(count, zeros.Length);
                Bytes(zeros[..n]);
                count -= n;
            }
        }

        public void Flush() => _stream.Flush();
    }
}
