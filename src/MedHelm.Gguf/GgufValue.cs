using System.Globalization;
using System.Text;

namespace MedHelm.Gguf;

/// <summary>GGUF metadata value type ids (ggml/include/gguf.h, enum gguf_type).</summary>
public enum GgufValueType : uint
{
    UInt8 = 0,
    Int8 = 1,
    UInt16 = 2,
    Int16 = 3,
    UInt32 = 4,
    Int32 = 5,
    Float32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    UInt64 = 10,
    Int64 = 11,
    Float64 = 12,
}

/// <summary>
/// One GGUF metadata value: a scalar, a string, or a one-level array of scalars or strings.
/// Arrays are held as typed CLR arrays (byte[], sbyte[], ushort[], short[], uint[], int[], float[], bool[], string[], ulong[], long[], double[]).
/// </summary>
public sealed class GgufValue
{
    private GgufValue(GgufValueType type, GgufValueType? elementType, object value)
    {
        Type = type;
        ElementType = elementType;
        Value = value;
    }

    /// <summary>The value's type; <see cref="GgufValueType.Array"/> for arrays.</summary>
    public GgufValueType Type { get; }

    /// <summary>Element type for arrays, otherwise null.</summary>
    public GgufValueType? ElementType { get; }

    /// <summary>The boxed scalar, the string, or the typed array.</summary>
    public object Value { get; }

    public bool IsArray => Type == GgufValueType.Array;

    /// <summary>Number of elements for arrays; 1 for scalars and strings.</summary>
    public int Count => Value is Array a ? a.Length : 1;

    public static GgufValue FromUInt8(byte v) => new(GgufValueType.UInt8, null, v);
    public static GgufValue FromInt8(sbyte v) => new(GgufValueType.Int8, null, v);
    public static GgufValue FromUInt16(ushort v) => new(GgufValueType.UInt16, null, v);
    public static GgufValue FromInt16(short v) => new(GgufValueType.Int16, null, v);
    public static GgufValue FromUInt32(uint v) => new(GgufValueType.UInt32, null, v);
    public static GgufValue FromInt32(int v) => new(GgufValueType.Int32, null, v);
    public static GgufValue FromFloat32(float v) => new(GgufValueType.Float32, null, v);
    public static GgufValue FromBool(bool v) => new(GgufValueType.Bool, null, v);
    public static GgufValue FromString(string v) => new(GgufValueType.String, null, v ?? throw new ArgumentNullException(nameof(v)));
    public static GgufValue FromUInt64(ulong v) => new(GgufValueType.UInt64, null, v);
    public static GgufValue FromInt64(long v) => new(GgufValueType.Int64, null, v);
    public static GgufValue FromFloat64(double v) => new(GgufValueType.Float64, null, v);

    public static GgufValue FromArray(byte[] v) => Arr(GgufValueType.UInt8, v);
    public static GgufValue FromArray(sbyte[] v) => Arr(GgufValueType.Int8, v);
    public static GgufValue FromArray(ushort[] v) => Arr(GgufValueType.UInt16, v);
    public static GgufValue FromArray(short[] v) => Arr(GgufValueType.Int16, v);
    public static GgufValue FromArray(uint[] v) => Arr(GgufValueType.UInt32, v);
    public static GgufValue FromArray(int[] v) => Arr(GgufValueType.Int32, v);
    public static GgufValue FromArray(float[] v) => Arr(GgufValueType.Float32, v);
    public static GgufValue FromArray(bool[] v) => Arr(GgufValueType.Bool, v);
    public static GgufValue FromArray(ulong[] v) => Arr(GgufValueType.UInt64, v);
    public static GgufValue FromArray(long[] v) => Arr(GgufValueType.Int64, v);
    public static GgufValue FromArray(double[] v) => Arr(GgufValueType.Float64, v);

    public static GgufValue FromArray(string[] v)
    {
        ArgumentNullException.ThrowIfNull(v);
        foreach (var s in v)
        {
            if (s is null)
            {
                throw new ArgumentException("A GGUF string array cannot hold null.", nameof(v));
            }
        }
        return new GgufValue(GgufValueType.Array, GgufValueType.String, v);
    }

    private static GgufValue Arr(GgufValueType elementType, Array v) =>
        new(GgufValueType.Array, elementType, v ?? throw new ArgumentNullException(nameof(v)));

    /// <summary>Size in bytes of a fixed-size scalar type; 0 for string and array.</summary>
    public static int ScalarSize(GgufValueType type) => type switch
    {
        GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
        GgufValueType.UInt16 or GgufValueType.Int16 => 2,
        GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
        GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 => 8,
        _ => 0,
    };

    /// <summary>Name as gguf.cpp prints it (e.g. "u32", "str", "arr").</summary>
    public static string TypeName(GgufValueType type) => type switch
    {
        GgufValueType.UInt8 => "u8",
        GgufValueType.Int8 => "i8",
        GgufValueType.UInt16 => "u16",
        GgufValueType.Int16 => "i16",
        GgufValueType.UInt32 => "u32",
        GgufValueType.Int32 => "i32",
        GgufValueType.Float32 => "f32",
        GgufValueType.Bool => "bool",
        GgufValueType.String => "str",
        GgufValueType.Array => "arr",
        GgufValueType.UInt64 => "u64",
        GgufValueType.Int64 => "i64",
        GgufValueType.Float64 => "f64",
        _ => $"type {(uint)type}",
    };

    /// <summary>Type description, e.g. "u32" or "arr[str]".</summary>
    public string TypeDescription => IsArray ? $"arr[{TypeName(ElementType!.Value)}]" : TypeName(Type);

    public string AsString() => Value as string ?? throw Mismatch("str");
    public bool AsBool() => Type == GgufValueType.Bool ? (bool)Value : throw Mismatch("bool");
    public uint AsUInt32() => Type == GgufValueType.UInt32 ? (uint)Value : throw Mismatch("u32");
    public int AsInt32() => Type == GgufValueType.Int32 ? (int)Value : throw Mismatch("i32");
    public ulong AsUInt64() => Type == GgufValueType.UInt64 ? (ulong)Value : throw Mismatch("u64");
    public long AsInt64() => Type == GgufValueType.Int64 ? (long)Value : throw Mismatch("i64");
    public float AsFloat32() => Type == GgufValueType.Float32 ? (float)Value : throw Mismatch("f32");
    public double AsFloat64() => Type == GgufValueType.Float64 ? (double)Value : throw Mismatch("f64");

    /// <summary>The array as T[] (T must match the element type exactly, e.g. string for arr[str]).</summary>
    public T[] AsArray<T>() => Value as T[] ?? throw Mismatch($"arr of {typeof(T).Name}");

    public string[] AsStringArray() => AsArray<string>();

    /// <summary>Any integer scalar (u8..i64, bool excluded) as long; false for other types or u64 values above long.MaxValue.</summary>
    public bool TryGetInteger(out long value)
    {
        switch (Value)
        {
            case byte b when Type == GgufValueType.UInt8: value = b; return true;
            case sbyte sb: value = sb; return true;
            case ushort us: value = us; return true;
            case short s: value = s; return true;
            case uint ui: value = ui; return true;
            case int i: value = i; return true;
            case long l: value = l; return true;
            case ulong ul when ul <= long.MaxValue: value = (long)ul; return true;
            default: value = 0; return false;
        }
    }

    /// <summary>A float32 or float64 scalar as double.</summary>
    public bool TryGetFloat(out double value)
    {
        switch (Value)
        {
            case float f: value = f; return true;
            case double d: value = d; return true;
            default: value = 0; return false;
        }
    }

    private InvalidCastException Mismatch(string wanted) =>
        new($"GGUF value is {TypeDescription}, not {wanted}.");

    public override string ToString()
    {
        if (Value is string s)
        {
            return s.Length > 80 ? string.Concat(s.AsSpan(0, 80), "…") : s;
        }
        if (Value is Array a)
        {
            var sb = new StringBuilder();
            sb.Append(TypeDescription).Append('[').Append(a.Length.ToString(CultureInfo.InvariantCulture)).Append("] {");
            var n = Math.Min(a.Length, 8);
            for (var i = 0; i < n; i++)
            {
                sb.Append(i == 0 ? " " : ", ").Append(Convert.ToString(a.GetValue(i), CultureInfo.InvariantCulture));
            }
            sb.Append(a.Length > n ? ", … }" : " }");
            return sb.ToString();
        }
        return Convert.ToString(Value, CultureInfo.InvariantCulture) ?? string.Empty;
    }
}
