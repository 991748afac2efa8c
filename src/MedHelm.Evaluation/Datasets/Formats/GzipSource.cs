using System.IO.Compression;

namespace MedHelm.Evaluation.Datasets.Formats;

/// <summary>
/// Reads a gzip-compressed text file (<c>.csv.gz</c>) with the framework's <see cref="GZipStream"/>: the compressed
/// bytes are fingerprinted, the unpacked size is capped by <see cref="ImportLimits.MaxUncompressedBytes"/>, and the
/// text is decoded like any other source (strict UTF-8, line limit). A plain file (no gzip magic) is read as is.
/// </summary>
public static class GzipSource
{
    /// <summary>Loads and unpacks <paramref name="path"/>; null (problem reported) when it cannot be used.</summary>
    public static SourceText? Load(string path, ImportContext context, bool lineOriented = true)
    {
        ArgumentNullException.ThrowIfNull(context);
        var bytes = context.LoadBytes(path);
        if (bytes is null)
        {
            return null;
        }

        if (bytes.Length < 2 || bytes[0] != 0x1F || bytes[1] != 0x8B)
        {
            if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
            {
                context.Report.Add(path, null, null, null, "the file is not gzip-compressed (no gzip header)");
                return null;
            }

            return SourceText.FromBytes(path, bytes, context.Report, context.Limits, lineOriented);
        }

        var unpacked = Unpack(path, bytes, context);
        return unpacked is null ? null : SourceText.FromBytes(path, unpacked, context.Report, context.Limits, lineOriented);
    }

    private static byte[]? Unpack(string path, byte[] bytes, ImportContext context)
    {
        try
        {
            using var gzip = new GZipStream(new MemoryStream(bytes, writable: false), CompressionMode.Decompress);
            using var output = new MemoryStream();
            var buffer = new byte[81920];
            int read;
            while ((read = gzip.Read(buffer, 0, buffer.Length)) > 0)
            {
                if (output.Length + read > context.Limits.MaxUncompressedBytes)
                {
                    context.Report.Add(path, null, null, null, $"the file unpacks to more than {context.Limits.MaxUncompressedBytes} bytes");
                    return null;
                }

                output.Write(buffer, 0, read);
            }

            return output.ToArray();
        }
        catch (InvalidDataException ex)
        {
            context.Report.Add(path, null, null, null, $"the gzip data is corrupt ({ex.Message.ReplaceLineEndings(" ")})");
            return null;
        }
    }
}
