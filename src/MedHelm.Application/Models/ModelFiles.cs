using System.Security.Cryptography;
using MedHelm.Application.Errors;
using MedHelm.Gguf;
using MedHelm.Evaluation.Files;

namespace MedHelm.Application.Models;

/// <summary>A local GGUF model file as a run records it: read and validated (not loaded), hashed.</summary>
/// <param name="Path">The file.</param>
/// <param name="Sha256">Its SHA-256 (lower-case hex).</param>
/// <param name="SizeBytes">Its size.</param>
/// <param name="Architecture">general.architecture.</param>
/// <param name="Quantization">The quantization, as described by the header.</param>
/// <param name="Parameters">Elements of all tensors.</param>
public sealed record ModelFile(string Path, string Sha256, long SizeBytes, string? Architecture, string Quantization, long Parameters);

/// <summary>Reads, validates and hashes model files.</summary>
public static class ModelFiles
{
    /// <summary>
    /// The SHA-256 of a file, lower-case hex. Read in 1 MiB blocks, unbuffered: <c>SHA256.HashData(Stream)</c> reads
    /// 4 KiB at a time, one system call each (18,800 for a 77 MB model), which took longer than the hashing itself.
    /// </summary>
    public static string Sha256(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(HashBlockBytes);
        try
        {
            int read;
            while ((read = stream.Read(buffer, 0, HashBlockBytes)) > 0)
            {
                hash.AppendData(buffer, 0, read);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private const int HashBlockBytes = 1 << 20;

    /// <summary>Reads and validates <paramref name="path"/>'s GGUF header (no tensor data is loaded) and hashes the file.</summary>
    /// <exception cref="RequestValidationException">The file is not GGUF, is malformed, would not load in llama.cpp (the key or tensor named), or is a chat model without a chat template.</exception>
    public static ModelFile Read(string path) => ReadWithHeader(path).File;

    /// <summary><see cref="Read"/>, with the header it read (for the facts a run does not record: context length, chat template, licence).</summary>
    /// <exception cref="RequestValidationException">As for <see cref="Read"/>.</exception>
    public static (ModelFile File, GgufFile Header) ReadWithHeader(string path)
    {
        var gguf = Check(path);
        return (new ModelFile(path, Sha256(path), new FileInfo(path).Length, gguf.Architecture, gguf.QuantizationDescription, gguf.Tensors.Sum(t => t.ElementCount)), gguf);
    }

    /// <summary>The checks of <see cref="Read"/> without hashing the file: its header, as llama.cpp would load it.</summary>
    /// <exception cref="RequestValidationException">As for <see cref="Read"/>.</exception>
    public static GgufFile Check(string path)
    {
        if (RegularFiles.KindOf(path) is { } kind)
        {
            throw new RequestValidationException($"{path} is {kind}, not a regular file; a model must be a GGUF file.");
        }

        GgufFile gguf;
        try
        {
            gguf = GgufReader.Read(path);
            GgufModelValidator.Validate(gguf);
        }
        catch (GgufFormatException e)
        {
            throw new RequestValidationException($"{path} is not a usable GGUF model: {e.Message}", e);
        }

        // The validator only warns about a missing chat template (models inspect shows it); a run needs one unless the
        // model is an encoder, which is used for embeddings.
        var encoder = GgufArchitectures.TryGet(gguf.Architecture ?? string.Empty, out var arch) && arch.Encoder;
        if (gguf.ChatTemplate is null && !encoder)
        {
            throw new RequestValidationException($"{path} is not a usable GGUF model: it has no tokenizer.chat_template.");
        }

        return gguf;
    }
}
