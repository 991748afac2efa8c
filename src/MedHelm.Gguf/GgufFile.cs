using System.Collections.ObjectModel;

namespace MedHelm.Gguf;

/// <summary>Parsed header, metadata and tensor table of a GGUF file (tensor data is not loaded).</summary>
public sealed class GgufFile
{
    private readonly Dictionary<string, GgufTensorInfo> _tensorsByName;

    internal GgufFile(
        string path,
        uint version,
        IReadOnlyList<KeyValuePair<string, GgufValue>> entries,
        IReadOnlyList<GgufTensorInfo> tensors,
        uint alignment,
        long dataOffset,
        long fileLength)
    {
        Path = path;
        Version = version;
        MetadataEntries = entries;
        var dict = new Dictionary<string, GgufValue>(entries.Count, StringComparer.Ordinal);
        foreach (var kv in entries)
        {
            dict.Add(kv.Key, kv.Value);
        }
        Metadata = new ReadOnlyDictionary<string, GgufValue>(dict);
        Tensors = tensors;
        _tensorsByName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        Alignment = alignment;
        DataOffset = dataOffset;
        FileLength = fileLength;
    }

    public string Path { get; }

    /// <summary>File name without folder, as used in messages.</summary>
    public string FileName => System.IO.Path.GetFileName(Path);

    /// <summary>GGUF format version (2 or 3).</summary>
    public uint Version { get; }

    public IReadOnlyDictionary<string, GgufValue> Metadata { get; }

    /// <summary>Metadata in file order.</summary>
    public IReadOnlyList<KeyValuePair<string, GgufValue>> MetadataEntries { get; }

    public IReadOnlyList<GgufTensorInfo> Tensors { get; }

    /// <summary>Alignment of the data section and tensor offsets (general.alignment, default 32).</summary>
    public uint Alignment { get; }

    /// <summary>Absolute file offset where tensor data begins.</summary>
    public long DataOffset { get; }

    public long FileLength { get; }

    /// <summary>general.architecture, or null when absent or not a string.</summary>
    public string? Architecture => TryGetString("general.architecture", out var s) ? s : null;

    /// <summary>general.name, or null.</summary>
    public string? Name => TryGetString("general.name", out var s) ? s : null;

    /// <summary>tokenizer.chat_template, or null.</summary>
    public string? ChatTemplate => TryGetString("tokenizer.chat_template", out var s) ? s : null;

    /// <summary>general.file_type (llama_ftype), or null.</summary>
    public uint? FileType => TryGetUInt32("general.file_type", out var v) ? v : null;

    /// <summary>
    /// Human-readable quantization, from general.file_type as llama.cpp names it (e.g. "Q8_0", "Q4_K - Medium"),
    /// or when that key is missing, guessed from the most common tensor type (e.g. "guessed Q8_0").
    /// </summary>
    public string QuantizationDescription
    {
        get
        {
            if (FileType is { } ft)
            {
                return LlamaFileTypes.Describe(ft);
            }
            var top = Tensors.GroupBy(t => t.Type).OrderByDescending(g => g.Sum(t => t.ByteSize)).FirstOrDefault();
            return top is null ? "unknown" : "guessed " + top.Key.ToString();
        }
    }

    public bool ContainsKey(string key) => Metadata.ContainsKey(key);

    public GgufTensorInfo? FindTensor(string name) => _tensorsByName.TryGetValue(name, out var t) ? t : null;

    public bool TryGetValue(string key, out GgufValue value) => Metadata.TryGetValue(key, out value!);

    public bool TryGetString(string key, out string value)
    {
        if (Metadata.TryGetValue(key, out var v) && v.Value is string s)
        {
            value = s;
            return true;
        }
        value = string.Empty;
        return false;
    }

    /// <summary>Reads an integer key of any integer type whose value fits in uint.</summary>
    public bool TryGetUInt32(string key, out uint value)
    {
        if (TryGetInteger(key, out var l) && l is >= 0 and <= uint.MaxValue)
        {
            value = (uint)l;
            return true;
        }
        value = 0;
        return false;
    }

    /// <summary>Reads an integer key of any integer type as long.</summary>
    public bool TryGetInteger(string key, out long value)
    {
        if (Metadata.TryGetValue(key, out var v) && v.TryGetInteger(out value))
        {
            return true;
        }
        value = 0;
        return false;
    }

    public string GetString(string key) => Require(key, GgufValueType.String).AsString();

    public bool GetBool(string key) => Require(key, GgufValueType.Bool).AsBool();

    public float GetFloat32(string key) => Require(key, GgufValueType.Float32).AsFloat32();

    /// <summary>Integer key (any integer type) that must fit in uint.</summary>
    public uint GetUInt32(string key) => checked((uint)GetIntegerInRange(key, 0, uint.MaxValue, "u32"));

    /// <summary>Integer key (any integer type) that must fit in int.</summary>
    public int GetInt32(string key) => checked((int)GetIntegerInRange(key, int.MinValue, int.MaxValue, "i32"));

    /// <summary>Integer key (any integer type) as long.</summary>
    public long GetInt64(string key) => GetIntegerInRange(key, long.MinValue, long.MaxValue, "i64");

    public string[] GetStringArray(string key)
    {
        var v = GetRequired(key);
        if (v.IsArray && v.ElementType == GgufValueType.String)
        {
            return v.AsStringArray();
        }
        throw new GgufFormatException(Path, null, $"{FileName} has metadata key '{key}' of type {v.TypeDescription}, expected arr[str].");
    }

    private long GetIntegerInRange(string key, long min, long max, string wanted)
    {
        var v = GetRequired(key);
        if (!v.TryGetInteger(out var l))
        {
            throw new GgufFormatException(Path, null, $"{FileName} has metadata key '{key}' of type {v.TypeDescription}, expected an integer.");
        }
        if (l < min || l > max)
        {
            throw new GgufFormatException(Path, null, $"{FileName} has metadata key '{key}' = {l}, which does not fit in {wanted}.");
        }
        return l;
    }

    private GgufValue GetRequired(string key) =>
        Metadata.TryGetValue(key, out var v)
            ? v
            : throw new GgufFormatException(Path, null, $"{FileName} has no metadata key '{key}'.");

    private GgufValue Require(string key, GgufValueType type)
    {
        var v = GetRequired(key);
        if (v.Type != type)
        {
            throw new GgufFormatException(Path, null, $"{FileName} has metadata key '{key}' of type {v.TypeDescription}, expected {GgufValue.TypeName(type)}.");
        }
        return v;
    }
}
