namespace MedHelm.Gguf;

/// <summary>Upper bounds the reader enforces on an untrusted file, on top of "must fit in the remaining bytes".</summary>
public sealed record GgufReadLimits
{
    public static GgufReadLimits Default { get; } = new();

    /// <summary>Longest string (key, value or tensor name) in bytes. Default 64 MiB.</summary>
    public long MaxStringLength { get; init; } = 64L * 1024 * 1024;

    /// <summary>Most elements in one metadata array. Default 2^30 (gguf.cpp's limit).</summary>
    public long MaxArrayLength { get; init; } = 1L << 30;

    /// <summary>Most metadata key/value pairs. Default 1,000,000.</summary>
    public long MaxKeyValueCount { get; init; } = 1_000_000;

    /// <summary>Most tensors. Default 1,000,000.</summary>
    public long MaxTensorCount { get; init; } = 1_000_000;

    /// <summary>Longest tensor name in bytes; ggml keeps names in a 64-byte buffer, so 63.</summary>
    public int MaxTensorNameLength { get; init; } = 63;

    /// <summary>When true (default) string values that are not valid UTF-8 are rejected; when false they are decoded with replacement characters. Keys and tensor names must always be valid UTF-8.</summary>
    public bool StrictUtf8Values { get; init; } = true;
}
