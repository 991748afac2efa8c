using System.Buffers.Binary;

namespace MedHelm.Gguf.Quantization;

/// <summary>
/// Reference (deterministic) conversions from float32 to ggml storage types, matching ggml's *_ref routines.
/// </summary>
public static class GgmlQuantizer
{
    /// <summary>Elements per Q8_0 block (QK8_0).</summary>
    public const int Q8_0BlockSize = 32;

    /// <summary>Bytes per Q8_0 block: an f16 scale and 32 int8 quants.</summary>
    public const int Q8_0BlockBytes = 2 + Q8_0BlockSize;

    /// <summary>Types <see cref="Quantize"/> can produce.</summary>
    public static bool CanQuantize(GgmlType type) => type is GgmlType.F32 or GgmlType.F16 or GgmlType.BF16 or GgmlType.Q8_0;

    /// <summary>Encodes <paramref name="data"/> (row-major, ne0 fastest) as <paramref name="type"/>.</summary>
    public static byte[] Quantize(ReadOnlySpan<float> data, GgmlType type) => type switch
    {
        GgmlType.F32 => ToF32(data),
        GgmlType.F16 => ToF16(data),
        GgmlType.BF16 => ToBF16(data),
        GgmlType.Q8_0 => QuantizeQ8_0(data),
        _ => throw new NotSupportedException($"Quantizing to {GgmlTypes.Name(type)} is not supported (supported: f32, f16, bf16, q8_0)."),
    };

    public static byte[] ToF32(ReadOnlySpan<float> data)
    {
        var bytes = new byte[data.Length * 4];
        for (var i = 0; i < data.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), data[i]);
        }
        return bytes;
    }

    /// <summary>IEEE half precision, round to nearest even (as ggml's GGML_FP32_TO_FP16).</summary>
    public static byte[] ToF16(ReadOnlySpan<float> data)
    {
        var bytes = new byte[data.Length * 2];
        for (var i = 0; i < data.Length; i++)
        {
            BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(i * 2), (Half)data[i]);
        }
        return bytes;
    }

    /// <summary>bfloat16 with round to nearest even and quiet NaN, as ggml_compute_fp32_to_bf16.</summary>
    public static byte[] ToBF16(ReadOnlySpan<float> data)
    {
        var bytes = new byte[data.Length * 2];
        for (var i = 0; i < data.Length; i++)
        {
            var u = BitConverter.SingleToUInt32Bits(data[i]);
            ushort h;
            if ((u & 0x7fffffff) > 0x7f800000)
            {
                h = (ushort)((u >> 16) | 64); // force quiet NaN
            }
            else
            {
                h = (ushort)((u + (0x7fff + ((u >> 16) & 1))) >> 16);
            }
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 2), h);
        }
        return bytes;
    }

    /// <summary>
    /// Q8_0 exactly as ggml's quantize_row_q8_0_ref: per block of 32, d = max|x| / 127 (stored as f16),
    /// q = roundf(x * (1/d)) with the float32 d (roundf rounds halves away from zero).
    /// </summary>
    public static byte[] QuantizeQ8_0(ReadOnlySpan<float> data)
    {
        if (data.Length % Q8_0BlockSize != 0)
        {
            throw new ArgumentException($"Q8_0 needs a multiple of {Q8_0BlockSize} values, got {data.Length}.", nameof(data));
        }
        var blocks = data.Length / Q8_0BlockSize;
        var bytes = new byte[blocks * Q8_0BlockBytes];
        for (var b = 0; b < blocks; b++)
        {
            var x = data.Slice(b * Q8_0BlockSize, Q8_0BlockSize);
            var amax = 0.0f;
            foreach (var v in x)
            {
                amax = MathF.Max(amax, MathF.Abs(v));
            }
            var d = amax / 127.0f;
            var id = d != 0.0f ? 1.0f / d : 0.0f;
            var block = bytes.AsSpan(b * Q8_0BlockBytes, Q8_0BlockBytes);
            BinaryPrimitives.WriteHalfLittleEndian(block, (Half)d);
            for (var j = 0; j < Q8_0BlockSize; j++)
            {
                var q = MathF.Round(x[j] * id, MidpointRounding.AwayFromZero);
                block[2 + j] = unchecked((byte)(sbyte)q);
            }
        }
        return bytes;
    }

    /// <summary>Decodes Q8_0 blocks back to float32 (x = d * q).</summary>
    public static float[] DequantizeQ8_0(ReadOnlySpan<byte> data)
    {
        if (data.Length % Q8_0BlockBytes != 0)
        {
            throw new ArgumentException($"Q8_0 data must be a multiple of {Q8_0BlockBytes} bytes, got {data.Length}.", nameof(data));
        }
        var blocks = data.Length / Q8_0BlockBytes;
        var result = new float[blocks * Q8_0BlockSize];
        for (var b = 0; b < blocks; b++)
        {
            var block = data.Slice(b * Q8_0BlockBytes, Q8_0BlockBytes);
            var d = (float)BinaryPrimitives.ReadHalfLittleEndian(block);
            for (var j = 0; j < Q8_0BlockSize; j++)
            {
                result[b * Q8_0BlockSize + j] = d * (sbyte)block[2 + j];
            }
        }
        return result;
    }
}
