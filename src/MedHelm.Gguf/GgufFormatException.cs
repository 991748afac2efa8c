namespace MedHelm.Gguf;

/// <summary>A file is not a usable GGUF model: malformed, truncated, hostile, or missing what llama.cpp requires.</summary>
public sealed class GgufFormatException : Exception
{
    public GgufFormatException(string path, long? offset, string message)
        : base(message)
    {
        Path = path;
        Offset = offset;
    }

    public GgufFormatException(string path, long? offset, string message, Exception innerException)
        : base(message, innerException)
    {
        Path = path;
        Offset = offset;
    }

    /// <summary>The file the problem was found in, as given to the reader.</summary>
    public string Path { get; }

    /// <summary>Byte offset in the file where the problem was found, when it is tied to one.</summary>
    public long? Offset { get; }
}
