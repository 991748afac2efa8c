using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace MedHelm.Gguf;

/// <summary>
/// Parses the header, metadata and tensor table of a GGUF file without trusting any length or count in it.
/// Tensor data is not read; its location is checked against the file size.
/// </summary>
public static class GgufReader
{
    /// <summary>The four bytes every GGUF file starts with.</summary>
    public static ReadOnlySpan<byte> Magic => "GGUF"u8;

    public const uint DefaultAlignment = 32;
    public const int MaxDimensions = 4;

    /// <summary>Reads and checks <paramref name="path"/>; every problem is a <see cref="GgufFormatException"/>.</summary>
    public static GgufFile Read(string path, GgufReadLimits? limits = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        limits ??= GgufReadLimits.Default;
        var name = DisplayName(path);

        if (Directory.Exists(path))
        {
            throw new GgufFormatException(path, null, $"{name} is a directory, not a GGUF file.");
        }
        if (!File.Exists(path))
        {
            throw new GgufFormatException(path, null, $"{name} does not exist.");
        }

        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new GgufFormatException(path, null, $"{name} cannot be opened ({e.GetType().Name}: {e.Message.TrimEnd('.')}).", e);
        }

        using (stream)
        {
            try
            {
                return new Parser(path, name, stream, limits).Parse();
            }
            catch (IOException e)
            {
                throw new GgufFormatException(path, null, $"{name} could not be read ({e.Message.TrimEnd('.')}).", e);
            }
        }
    }

    internal static string DisplayName(string path)
    {
        var trimmed = path.TrimEnd(System.IO.Path.DirectorySeparatorChar, System.IO.Path.AltDirectorySeparatorChar);
        var n = System.IO.Path.GetFileName(trimmed);
        return string.IsNullOrEmpty(n) ? path : n;
    }

    private sealed class Parser
    {
        private const int MinKeyValueBytes = 8 + 1 + 4 + 1;          // key length, 1-byte key, type, 1-byte value
        private const int MinTensorInfoBytes = 8 + 1 + 4 + 8 + 4 + 8; // name length, 1-byte name, n_dims, one dim, type, offset

        private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        private static readonly UTF8Encoding LenientUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

        private readonly string _path;
        private readonly string _name;
        private readonly Stream _stream;
        private readonly GgufReadLimits _limits;
        private readonly long _length;
        private readonly byte[] _scratch = new byte[8];
        private long _pos;

        public Parser(string path, string name, Stream stream, GgufReadLimits limits)
        {
            _path = path;
            _name = name;
            _stream = stream;
            _limits = limits;
            _length = stream.Length;
        }

        private long Remaining => _length - _pos;

        public GgufFile Parse()
        {
            if (_length == 0)
            {
                throw Fail(0, $"{_name} is empty (0 bytes), not a GGUF file.");
            }

            ReadExact(_scratch.AsSpan(0, 4), "the magic");
            if (!_scratch.AsSpan(0, 4).SequenceEqual(Magic))
            {
                var hex = Convert.ToHexString(_scratch, 0, 4);
                throw Fail(0, $"{_name} is not a GGUF file (bad magic 0x{hex} at offset 0).");
            }

            var versionAt = _pos;
            var version = ReadUInt32("the version");
            if (version == 1)
            {
                throw Fail(versionAt, $"{_name} is GGUF version 1, which is no longer supported (need version 2 or 3).");
            }
            if (version is not (2 or 3))
            {
                var hint = (version & 0xFFFF) == 0 ? " (it may be a big-endian file)" : string.Empty;
                throw Fail(versionAt, $"{_name} has unsupported GGUF version {version}{hint}; only versions 2 and 3 are supported.");
            }

            var tensorCountAt = _pos;
            var tensorCount = ReadUInt64("the tensor count");
            var kvCountAt = _pos;
            var kvCount = ReadUInt64("the metadata count");

            if (kvCount > (ulong)_limits.MaxKeyValueCount || kvCount > (ulong)(Remaining / MinKeyValueBytes))
            {
                throw Fail(kvCountAt, $"{_name} claims {kvCount} metadata entries, more than the limit of {_limits.MaxKeyValueCount} or than the remaining {Remaining} bytes can hold.");
            }
            if (tensorCount > (ulong)_limits.MaxTensorCount || tensorCount > (ulong)(Remaining / MinTensorInfoBytes))
            {
                throw Fail(tensorCountAt, $"{_name} claims {tensorCount} tensors, more than the limit of {_limits.MaxTensorCount} or than the remaining {Remaining} bytes can hold.");
            }

            var entries = new List<KeyValuePair<string, GgufValue>>((int)kvCount);
            var keys = new HashSet<string>(StringComparer.Ordinal);
            for (ulong i = 0; i < kvCount; i++)
            {
                var keyAt = _pos;
                var key = ReadString($"the key of metadata entry {i}", strict: true, maxLength: _limits.MaxStringLength);
                if (key.Length == 0)
                {
                    throw Fail(keyAt, $"{_name} has an empty key for metadata entry {i} at offset {keyAt}.");
                }
                if (!keys.Add(key))
                {
                    throw Fail(keyAt, $"{_name} has duplicate metadata key '{key}' at offset {keyAt}.");
                }
                var value = ReadValue(key);
                entries.Add(new KeyValuePair<string, GgufValue>(key, value));
            }

            var alignment = DefaultAlignment;
            var alignmentEntry = entries.FirstOrDefault(e => e.Key == "general.alignment");
            if (alignmentEntry.Value is { } av)
            {
                if (av.Type != GgufValueType.UInt32)
                {
                    throw Fail(null, $"{_name} has general.alignment of type {av.TypeDescription}, but it must be u32.");
                }
                alignment = av.AsUInt32();
                if (alignment == 0 || (alignment & (alignment - 1)) != 0)
                {
                    throw Fail(null, $"{_name} has general.alignment {alignment}, which is not a power of two.");
                }
            }

            var tensors = new List<GgufTensorInfo>((int)tensorCount);
            var names = new HashSet<string>(StringComparer.Ordinal);
            var offsetsAt = new List<long>((int)tensorCount);
            for (ulong i = 0; i < tensorCount; i++)
            {
                var (info, offsetAt) = ReadTensorInfo(i, names, alignment);
                tensors.Add(info);
                offsetsAt.Add(offsetAt);
            }

            long dataOffset = _pos;
            if (tensorCount > 0)
            {
                dataOffset = AlignUp(_pos, alignment);
                if (dataOffset > _length)
                {
                    throw Fail(_pos, $"{_name} is truncated: the data section should start at offset {dataOffset} but the file is only {_length} bytes long.");
                }
            }

            ulong expected = 0;
            for (var i = 0; i < tensors.Count; i++)
            {
                var t = tensors[i];
                if (t.Offset != expected)
                {
                    throw Fail(offsetsAt[i], $"{_name} has tensor '{t.Name}' at data offset {t.Offset}, but llama.cpp requires {expected} (tensor data must follow the tensor table's order, each padded to {alignment} bytes).");
                }
                var available = (ulong)(_length - dataOffset);
                if (t.Offset > available || (ulong)t.ByteSize > available - t.Offset)
                {
                    throw Fail(offsetsAt[i], $"{_name} has tensor '{t.Name}' whose data ({t.ByteSize} bytes at data offset {t.Offset}) extends beyond the end of the file ({_length} bytes).");
                }
                expected = t.Offset + (ulong)AlignUp(t.ByteSize, alignment);
            }

            return new GgufFile(_path, version, entries, tensors, alignment, dataOffset, _length);
        }

        private (GgufTensorInfo Info, long OffsetAt) ReadTensorInfo(ulong index, HashSet<string> names, uint alignment)
        {
            var nameAt = _pos;
            var name = ReadString($"the name of tensor {index}", strict: true, maxLength: _limits.MaxStringLength);
            if (name.Length == 0)
            {
                throw Fail(nameAt, $"{_name} has an empty name for tensor {index} at offset {nameAt}.");
            }
            if (Encoding.UTF8.GetByteCount(name) > _limits.MaxTensorNameLength)
            {
                throw Fail(nameAt, $"{_name} has tensor name '{Shorten(name)}' longer than {_limits.MaxTensorNameLength} bytes.");
            }
            if (!names.Add(name))
            {
                throw Fail(nameAt, $"{_name} has duplicate tensor name '{name}' at offset {nameAt}.");
            }

            var dimsAt = _pos;
            var nDims = ReadUInt32($"the dimension count of tensor '{name}'");
            if (nDims is 0 or > MaxDimensions)
            {
                throw Fail(dimsAt, $"{_name} has tensor '{name}' with {nDims} dimensions; it must have 1 to {MaxDimensions}.");
            }
            var shape = new long[nDims];
            for (var d = 0; d < nDims; d++)
            {
                var dimAt = _pos;
                var ne = ReadUInt64($"dimension {d} of tensor '{name}'");
                if (ne == 0 || ne > long.MaxValue)
                {
                    throw Fail(dimAt, $"{_name} has tensor '{name}' with invalid size {(long)ne} in dimension {d}; sizes must be positive.");
                }
                shape[d] = (long)ne;
            }

            var typeAt = _pos;
            var typeId = ReadInt32($"the type of tensor '{name}'");
            if (!GgmlTypes.IsKnown(typeId))
            {
                throw Fail(typeAt, $"{_name} has tensor '{name}' with unknown ggml type id {typeId}.");
            }
            var type = (GgmlType)typeId;
            var traits = GgmlTypes.GetTraits(type);
            if (shape[0] % traits.BlockSize != 0)
            {
                throw Fail(typeAt, $"{_name} has tensor '{name}' of type {GgmlTypes.Name(type)} with row length {shape[0]}, which is not a multiple of the block size {traits.BlockSize}.");
            }
            long byteSize;
            try
            {
                byteSize = GgmlTypes.ByteSize(type, shape);
                _ = AlignUp(byteSize, alignment);
            }
            catch (OverflowException)
            {
                throw Fail(dimsAt, $"{_name} has tensor '{name}' with shape [{string.Join(", ", shape)}], whose size in bytes overflows.");
            }

            var offsetAt = _pos;
            var offset = ReadUInt64($"the data offset of tensor '{name}'");
            if (offset % alignment != 0)
            {
                throw Fail(offsetAt, $"{_name} has tensor '{name}' at data offset {offset}, which is not a multiple of the alignment {alignment}.");
            }
            return (new GgufTensorInfo(name, shape, type, offset, byteSize), offsetAt);
        }

        private GgufValue ReadValue(string key)
        {
            var typeAt = _pos;
            var type = (GgufValueType)ReadUInt32($"the type of metadata key '{key}'");
            if (type == GgufValueType.Array)
            {
                var elemAt = _pos;
                var elem = (GgufValueType)ReadUInt32($"the element type of metadata key '{key}'");
                if (!IsValueType(elem) || elem == GgufValueType.Array)
                {
                    throw Fail(elemAt, $"{_name} has metadata key '{key}' with invalid array element type {(uint)elem}.");
                }
                var countAt = _pos;
                var count = ReadUInt64($"the array length of metadata key '{key}'");
                var minSize = elem == GgufValueType.String ? 8 : GgufValue.ScalarSize(elem);
                if (count > (ulong)Math.Min(_limits.MaxArrayLength, Array.MaxLength) || count > (ulong)(Remaining / minSize))
                {
                    throw Fail(countAt, $"{_name} has metadata key '{key}' claiming {count} array elements, more than the limit of {_limits.MaxArrayLength} or than the remaining {Remaining} bytes can hold.");
                }
                return ReadArray(key, elem, (int)count);
            }
            if (!IsValueType(type))
            {
                throw Fail(typeAt, $"{_name} has metadata key '{key}' with invalid value type {(uint)type}.");
            }
            var what = $"the value of metadata key '{key}'";
            return type switch
            {
                GgufValueType.UInt8 => GgufValue.FromUInt8(ReadBytes(1, what)[0]),
                GgufValueType.Int8 => GgufValue.FromInt8((sbyte)ReadBytes(1, what)[0]),
                GgufValueType.UInt16 => GgufValue.FromUInt16(BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2, what))),
                GgufValueType.Int16 => GgufValue.FromInt16(BinaryPrimitives.ReadInt16LittleEndian(ReadBytes(2, what))),
                GgufValueType.UInt32 => GgufValue.FromUInt32(ReadUInt32(what)),
                GgufValueType.Int32 => GgufValue.FromInt32(ReadInt32(what)),
                GgufValueType.Float32 => GgufValue.FromFloat32(BinaryPrimitives.ReadSingleLittleEndian(ReadBytes(4, what))),
                GgufValueType.Bool => GgufValue.FromBool(ReadBytes(1, what)[0] != 0),
                GgufValueType.String => GgufValue.FromString(ReadString(what, _limits.StrictUtf8Values, _limits.MaxStringLength)),
                GgufValueType.UInt64 => GgufValue.FromUInt64(ReadUInt64(what)),
                GgufValueType.Int64 => GgufValue.FromInt64(BinaryPrimitives.ReadInt64LittleEndian(ReadBytes(8, what))),
                GgufValueType.Float64 => GgufValue.FromFloat64(BinaryPrimitives.ReadDoubleLittleEndian(ReadBytes(8, what))),
                _ => throw Fail(typeAt, $"{_name} has metadata key '{key}' with invalid value type {(uint)type}."),
            };
        }

        private GgufValue ReadArray(string key, GgufValueType elem, int count)
        {
            var what = $"the array of metadata key '{key}'";
            switch (elem)
            {
                case GgufValueType.String:
                {
                    var items = new string[count];
                    for (var i = 0; i < count; i++)
                    {
                        items[i] = ReadString($"element {i} of metadata key '{key}'", _limits.StrictUtf8Values, _limits.MaxStringLength);
                    }
                    return GgufValue.FromArray(items);
                }
                case GgufValueType.UInt8: return GgufValue.FromArray(ReadScalars<byte>(count, 1, what, s => s[0]));
                case GgufValueType.Int8: return GgufValue.FromArray(ReadScalars<sbyte>(count, 1, what, s => (sbyte)s[0]));
                case GgufValueType.Bool: return GgufValue.FromArray(ReadScalars<bool>(count, 1, what, s => s[0] != 0));
                case GgufValueType.UInt16: return GgufValue.FromArray(ReadScalars<ushort>(count, 2, what, BinaryPrimitives.ReadUInt16LittleEndian));
                case GgufValueType.Int16: return GgufValue.FromArray(ReadScalars<short>(count, 2, what, BinaryPrimitives.ReadInt16LittleEndian));
                case GgufValueType.UInt32: return GgufValue.FromArray(ReadScalars<uint>(count, 4, what, BinaryPrimitives.ReadUInt32LittleEndian));
                case GgufValueType.Int32: return GgufValue.FromArray(ReadScalars<int>(count, 4, what, BinaryPrimitives.ReadInt32LittleEndian));
                case GgufValueType.Float32: return GgufValue.FromArray(ReadScalars<float>(count, 4, what, BinaryPrimitives.ReadSingleLittleEndian));
                case GgufValueType.UInt64: return GgufValue.FromArray(ReadScalars<ulong>(count, 8, what, BinaryPrimitives.ReadUInt64LittleEndian));
                case GgufValueType.Int64: return GgufValue.FromArray(ReadScalars<long>(count, 8, what, BinaryPrimitives.ReadInt64LittleEndian));
                case GgufValueType.Float64: return GgufValue.FromArray(ReadScalars<double>(count, 8, what, BinaryPrimitives.ReadDoubleLittleEndian));
                default: throw Fail(_pos, $"{_name} has metadata key '{key}' with invalid array element type {(uint)elem}.");
            }
        }

        private delegate T SpanReader<out T>(ReadOnlySpan<byte> span);

        private T[] ReadScalars<T>(int count, int size, string what, SpanReader<T> read)
        {
            var result = new T[count];
            var chunk = new byte[Math.Min(Math.Max(count, 1) * size, 1 << 16) / size * size];
            var done = 0;
            while (done < count)
            {
                var n = Math.Min(count - done, chunk.Length / size);
                var span = chunk.AsSpan(0, n * size);
                ReadExact(span, what);
                for (var i = 0; i < n; i++)
                {
                    result[done + i] = read(span.Slice(i * size, size));
                }
                done += n;
            }
            return result;
        }

        private string ReadString(string what, bool strict, long maxLength)
        {
            var at = _pos;
            var len = ReadUInt64($"the length of {what}");
            if (len > (ulong)Math.Min(maxLength, Array.MaxLength))
            {
                throw Fail(at, $"{_name} has a string length of {len} bytes for {what} at offset {at}, above the limit of {maxLength} bytes.");
            }
            if (len > (ulong)Remaining)
            {
                throw Fail(at, $"{_name} is truncated or corrupt: the string length {len} for {what} at offset {at} exceeds the {Remaining} bytes that remain.");
            }
            var n = (int)len;
            if (n == 0)
            {
                return string.Empty;
            }
            var buffer = ArrayPool<byte>.Shared.Rent(n);
            try
            {
                var span = buffer.AsSpan(0, n);
                ReadExact(span, what);
                try
                {
                    return (strict ? StrictUtf8 : LenientUtf8).GetString(span);
                }
                catch (DecoderFallbackException)
                {
                    throw Fail(at + 8, $"{_name} has invalid UTF-8 in {what} at offset {at + 8}.");
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        private uint ReadUInt32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4, what));

        private int ReadInt32(string what) => BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4, what));

        private ulong ReadUInt64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(ReadBytes(8, what));

        private ReadOnlySpan<byte> ReadBytes(int count, string what)
        {
            var span = _scratch.AsSpan(0, count);
            ReadExact(span, what);
            return span;
        }

        private void ReadExact(Span<byte> target, string what)
        {
            if (target.Length > Remaining)
            {
                throw Fail(_pos, $"{_name} is truncated: {what} at offset {_pos} needs {target.Length} bytes but only {Remaining} remain.");
            }
            var read = _stream.ReadAtLeast(target, target.Length, throwOnEndOfStream: false);
            if (read != target.Length)
            {
                throw Fail(_pos, $"{_name} is truncated: {what} at offset {_pos} needs {target.Length} bytes but the file ended after {read}.");
            }
            _pos += read;
        }

        private static bool IsValueType(GgufValueType t) => (uint)t <= (uint)GgufValueType.Float64;

        private static long AlignUp(long value, uint alignment) => checked((value + alignment - 1) / alignment * alignment);

        private static string Shorten(string s) => s.Length > 40 ? string.Concat(s.AsSpan(0, 40), "…") : s;

        private GgufFormatException Fail(long? offset, string message) => new(_path, offset, message);
    }
}
