using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Unicode;
using MedHelm.Evaluation.Files;

namespace MedHelm.Evaluation.Datasets.Formats;

/// <summary>Size limits that protect an import from hostile or broken files.</summary>
public sealed record ImportLimits
{
    /// <summary>Largest file read (default 512 MiB).</summary>
    public long MaxFileBytes { get; init; } = 512L * 1024 * 1024;

    /// <summary>Longest line in a line-oriented file (CSV, JSONL, TSV, TXT; default 16 MiB).</summary>
    public int MaxLineBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Largest uncompressed part of a zip container (xlsx, docx) or gzip stream (default 1 GiB).</summary>
    public long MaxUncompressedBytes { get; init; } = 1024L * 1024 * 1024;

    /// <summary>The defaults.</summary>
    public static ImportLimits Default { get; } = new();
}

/// <summary>
/// A source file decoded as strict UTF-8 (BOM removed), with its SHA-256 and a line index. Loading reports a missing,
/// unreadable, oversized or empty file, invalid UTF-8 and over-long lines (with the line number) to the report.
/// </summary>
public sealed class SourceText
{
    private int[]? _lineStarts;

    private SourceText(string path, byte[] bytes, string text)
    {
        Path = path;
        Bytes = bytes;
        Text = text;
        Info = new SourceFileInfo(System.IO.Path.GetFileName(path), Convert.ToHexStringLower(SHA256.HashData(bytes)), bytes.LongLength);
    }

    /// <summary>The path used in messages.</summary>
    public string Path { get; }

    /// <summary>The raw bytes (hashed).</summary>
    public byte[] Bytes { get; }

    /// <summary>The decoded text, without a BOM.</summary>
    public string Text { get; }

    /// <summary>Name, hash and size.</summary>
    public SourceFileInfo Info { get; }

    /// <summary>Reads raw bytes (for zip containers), reporting a missing, unreadable, oversized or empty file.</summary>
    public static byte[]? ReadBytes(string path, DatasetValidationReport report, ImportLimits limits)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(limits);
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                report.Add(path, null, null, null, "the file does not exist");
                return null;
            }

            if (info.Length > limits.MaxFileBytes)
            {
                report.Add(path, null, null, null, $"the file is {info.Length} bytes, more than the limit of {limits.MaxFileBytes}");
                return null;
            }

            if (RegularFiles.KindOf(path) is { } kind)
            {
                report.Add(path, null, null, null, $"the file is {kind}, not a regular file");
                return null;
            }

            var bytes = File.ReadAllBytes(path);
            if (bytes.Length == 0)
            {
                report.Add(path, null, null, null, "the file is empty");
                return null;
            }

            return bytes;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            report.Add(path, null, null, null, $"the file cannot be read ({ex.GetType().Name})");
            return null;
        }
    }

    /// <summary>Loads <paramref name="path"/>; null (with problems reported) when it cannot be used.</summary>
    /// <param name="path">The file.</param>
    /// <param name="report">Where problems go.</param>
    /// <param name="limits">Size limits.</param>
    /// <param name="lineOriented">Check every line against <see cref="ImportLimits.MaxLineBytes"/>.</param>
    public static SourceText? Load(string path, DatasetValidationReport report, ImportLimits limits, bool lineOriented)
    {
        var bytes = ReadBytes(path, report, limits);
        return bytes is null ? null : FromBytes(path, bytes, report, limits, lineOriented);
    }

    /// <summary>Decodes bytes already read (for example a gzip stream or a zip part).</summary>
    public static SourceText? FromBytes(string path, byte[] bytes, DatasetValidationReport report, ImportLimits limits, bool lineOriented)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(limits);
        ReadOnlySpan<byte> span = bytes;
        if (span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            span = span[3..];
        }

        if (lineOriented)
        {
            var line = 1L;
            var rest = span;
            while (true)
            {
                var end = rest.IndexOf((byte)'\n');
                var length = end < 0 ? rest.Length : end;
                if (length > limits.MaxLineBytes)
                {
                    report.Add(path, line, null, null, $"the line is {length} bytes long, more than the limit of {limits.MaxLineBytes}");
                    return null;
                }

                if (end < 0)
                {
                    break;
                }

                rest = rest[(end + 1)..];
                line++;
            }
        }

        var chars = ArrayPool<char>.Shared.Rent(Math.Max(1, span.Length));
        try
        {
            var status = Utf8.ToUtf16(span, chars, out var read, out var written, replaceInvalidSequences: false);
            if (status != OperationStatus.Done)
            {
                var line = 1 + span[..read].Count((byte)'\n');
                report.Add(path, line, null, null, $"invalid UTF-8 at byte {read + 1 + (bytes.Length - span.Length)} of the file (the file must be UTF-8 text)");
                return null;
            }

            var text = new string(chars, 0, written);
            if (string.IsNullOrWhiteSpace(text))
            {
                report.Add(path, null, null, null, "the file is empty");
                return null;
            }

            return new SourceText(path, bytes, text);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    /// <summary>The 1-based line of a character offset in <see cref="Text"/>.</summary>
    public long LineOf(int charIndex)
    {
        _lineStarts ??= BuildLineStarts(Text);
        var index = Array.BinarySearch(_lineStarts, charIndex);
        return (index >= 0 ? index : ~index - 1) + 1;
    }

    /// <summary>The 1-based line of a UTF-8 byte offset in the BOM-less bytes.</summary>
    public long LineOfByte(long byteOffset)
    {
        ReadOnlySpan<byte> span = Bytes;
        if (span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            span = span[3..];
        }

        var end = (int)Math.Clamp(byteOffset, 0, span.Length);
        return 1 + span[..end].Count((byte)'\n');
    }

    /// <summary>The BOM-less UTF-8 bytes.</summary>
    public ReadOnlyMemory<byte> Utf8Bytes =>
        Bytes.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? Bytes.AsMemory(3) : Bytes.AsMemory();

    private static int[] BuildLineStarts(string text)
    {
        var starts = new List<int> { 0 };
        for (var i = text.IndexOf('\n'); i >= 0; i = text.IndexOf('\n', i + 1))
        {
            starts.Add(i + 1);
        }

        return [.. starts];
    }
}

/// <summary>Text helpers shared by the importers.</summary>
internal static class TextUtil
{
    /// <summary>Shortens text for messages.</summary>
    public static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";

    /// <summary>Collapses runs of whitespace.</summary>
    public static string Normalize(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    /// <summary>UTF-8 text of bytes, replacing nothing (throws on invalid data).</summary>
    public static string Utf8Strict(byte[] bytes) => new UTF8Encoding(false, true).GetString(bytes);
}
