namespace MedHelm.Gguf;

/// <summary>ggml tensor element types with the numeric ids used in GGUF files (ggml/include/ggml.h).</summary>
public enum GgmlType
{
    F32 = 0,
    F16 = 1,
    Q4_0 = 2,
    Q4_1 = 3,
    Q5_0 = 6,
    Q5_1 = 7,
    Q8_0 = 8,
    Q8_1 = 9,
    Q2_K = 10,
    Q3_K = 11,
    Q4_K = 12,
    Q5_K = 13,
    Q6_K = 14,
    Q8_K = 15,
    IQ2_XXS = 16,
    IQ2_XS = 17,
    IQ3_XXS = 18,
    IQ1_S = 19,
    IQ4_NL = 20,
    IQ3_S = 21,
    IQ2_S = 22,
    IQ4_XS = 23,
    I8 = 24,
    I16 = 25,
    I32 = 26,
    I64 = 27,
    F64 = 28,
    IQ1_M = 29,
    BF16 = 30,
    TQ1_0 = 34,
    TQ2_0 = 35,
    MXFP4 = 39,
    NVFP4 = 40,
    Q1_0 = 41,
    Q2_0 = 42,
}

/// <summary>Block layout of a ggml type: how many elements one block holds and how many bytes it takes.</summary>
public readonly record struct GgmlTypeTraits(GgmlType Type, int BlockSize, int TypeSize, bool IsQuantized);

/// <summary>Type traits mirrored from ggml's type_traits table (ggml/src/ggml.c, ggml-common.h block structs).</summary>
public static class GgmlTypes
{
    private const int QK_K = 256;

    private static readonly Dictionary<GgmlType, GgmlTypeTraits> Traits = Build();

    private static Dictionary<GgmlType, GgmlTypeTraits> Build()
    {
        var list = new[]
        {
            new GgmlTypeTraits(GgmlType.F32, 1, 4, false),
            new GgmlTypeTraits(GgmlType.F16, 1, 2, false),
            new GgmlTypeTraits(GgmlType.BF16, 1, 2, false),
            new GgmlTypeTraits(GgmlType.F64, 1, 8, false),
            new GgmlTypeTraits(GgmlType.I8, 1, 1, false),
            new GgmlTypeTraits(GgmlType.I16, 1, 2, false),
            new GgmlTypeTraits(GgmlType.I32, 1, 4, false),
            new GgmlTypeTraits(GgmlType.I64, 1, 8, false),
            new GgmlTypeTraits(GgmlType.Q1_0, 128, 2 + 128 / 8, true),
            new GgmlTypeTraits(GgmlType.Q2_0, 64, 2 + 64 / 4, true),
            new GgmlTypeTraits(GgmlType.Q4_0, 32, 2 + 16, true),
            new GgmlTypeTraits(GgmlType.Q4_1, 32, 4 + 16, true),
            new GgmlTypeTraits(GgmlType.Q5_0, 32, 2 + 4 + 16, true),
            new GgmlTypeTraits(GgmlType.Q5_1, 32, 4 + 4 + 16, true),
            new GgmlTypeTraits(GgmlType.Q8_0, 32, 2 + 32, true),
            new GgmlTypeTraits(GgmlType.Q8_1, 32, 4 + 32, true),
            new GgmlTypeTraits(GgmlType.MXFP4, 32, 1 + 16, true),
            new GgmlTypeTraits(GgmlType.NVFP4, 64, 64 / 16 + 32, true),
            new GgmlTypeTraits(GgmlType.Q2_K, QK_K, 4 + QK_K / 16 + QK_K / 4, true),
            new GgmlTypeTraits(GgmlType.Q3_K, QK_K, 2 + QK_K / 4 + QK_K / 8 + 12, true),
            new GgmlTypeTraits(GgmlType.Q4_K, QK_K, 4 + 12 + QK_K / 2, true),
            new GgmlTypeTraits(GgmlType.Q5_K, QK_K, 4 + 12 + QK_K / 2 + QK_K / 8, true),
            new GgmlTypeTraits(GgmlType.Q6_K, QK_K, 2 + QK_K / 16 + 3 * QK_K / 4, true),
            new GgmlTypeTraits(GgmlType.Q8_K, QK_K, 4 + QK_K + QK_K / 16 * 2, true),
            new GgmlTypeTraits(GgmlType.IQ2_XXS, QK_K, 2 + QK_K / 8 * 2, true),
            new GgmlTypeTraits(GgmlType.IQ2_XS, QK_K, 2 + QK_K / 8 * 2 + QK_K / 32, true),
            new GgmlTypeTraits(GgmlType.IQ2_S, QK_K, 2 + QK_K / 4 + QK_K / 16, true),
            new GgmlTypeTraits(GgmlType.IQ3_XXS, QK_K, 2 + 3 * (QK_K / 8), true),
            new GgmlTypeTraits(GgmlType.IQ3_S, QK_K, 2 + 13 * (QK_K / 32) + QK_K / 64, true),
            new GgmlTypeTraits(GgmlType.IQ1_S, QK_K, 2 + QK_K / 8 + QK_K / 16, true),
            new GgmlTypeTraits(GgmlType.IQ1_M, QK_K, QK_K / 8 + QK_K / 16 + QK_K / 32, true),
            new GgmlTypeTraits(GgmlType.IQ4_NL, 32, 2 + 16, true),
            new GgmlTypeTraits(GgmlType.IQ4_XS, QK_K, 2 + 2 + QK_K / 64 + QK_K / 2, true),
            new GgmlTypeTraits(GgmlType.TQ1_0, QK_K, 2 + QK_K / 64 + (QK_K - 4 * QK_K / 64) / 5, true),
            new GgmlTypeTraits(GgmlType.TQ2_0, QK_K, 2 + QK_K / 4, true),
        };
        return list.ToDictionary(t => t.Type);
    }

    /// <summary>All types this library knows the block layout of.</summary>
    public static IEnumerable<GgmlType> Known => Traits.Keys;

    /// <summary>True when <paramref name="id"/> is a ggml type id with a known block layout.</summary>
    public static bool IsKnown(int id) => Enum.IsDefined(typeof(GgmlType), id) && Traits.ContainsKey((GgmlType)id);

    public static GgmlTypeTraits GetTraits(GgmlType type) =>
        Traits.TryGetValue(type, out var t) ? t : throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown ggml type.");

    public static bool TryGetTraits(GgmlType type, out GgmlTypeTraits traits) => Traits.TryGetValue(type, out traits);

    /// <summary>Name as ggml prints it (e.g. "q8_0", "f32").</summary>
    public static string Name(GgmlType type) => type.ToString().ToLowerInvariant();

    /// <summary>
    /// Bytes a tensor of the given shape (ne0 first) occupies; throws <see cref="OverflowException"/> when it does not fit in a long
    /// and <see cref="ArgumentException"/> when ne0 is not a multiple of the block size or a dimension is not positive.
    /// </summary>
    public static long ByteSize(GgmlType type, ReadOnlySpan<long> shape)
    {
        var t = GetTraits(type);
        if (shape.Length == 0)
        {
            throw new ArgumentException("A tensor needs at least one dimension.", nameof(shape));
        }
        foreach (var d in shape)
        {
            if (d <= 0)
            {
                throw new ArgumentException($"Dimension {d} is not positive.", nameof(shape));
            }
        }
        if (shape[0] % t.BlockSize != 0)
        {
            throw new ArgumentException($"Row length {shape[0]} is not a multiple of the {Name(type)} block size {t.BlockSize}.", nameof(shape));
        }
        checked
        {
            long size = shape[0] / t.BlockSize * t.TypeSize;
            for (var i = 1; i < shape.Length; i++)
            {
                size *= shape[i];
            }
            return size;
        }
    }
}
