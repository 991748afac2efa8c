using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MedHelm.Gguf;
using MedHelm.Inference.Llama.Native;
using MedHelm.Inference.Llama.Runtime;
using Microsoft.Extensions.Logging;

namespace MedHelm.Inference.Llama.Models;

/// <summary>
/// A GGUF model loaded into llama.cpp. The file is validated by the managed GGUF reader first, because llama.cpp
/// aborts the whole process on some malformed files. Thread-safe for reads (tokenizer, template); contexts are not.
/// </summary>
public sealed unsafe partial class LlamaModel : IDisposable
{
    private readonly SafeLlamaModelHandle _handle;

    private LlamaModel(string path, SafeLlamaModelHandle handle, GgufFile gguf)
    {
        Path = path;
        _handle = handle;
        Gguf = gguf;
        Vocabulary = new LlamaVocabulary(LlamaNative.llama_model_get_vocab(handle), handle);
        var buffer = stackalloc byte[256];
        var length = LlamaNative.llama_model_desc(handle, buffer, 256);
        Description = length > 0 ? System.Text.Encoding.UTF8.GetString(buffer, Math.Min(length, 255)) : "";
        ChatTemplate = LlamaRuntime.Utf8(LlamaNative.llama_model_chat_template(handle, null)) is { Length: > 0 } t ? t : null;
        Template = LoadTemplate(ChatTemplate, Vocabulary, System.IO.Path.GetFileName(path));
    }

    public string Path { get; }

    /// <summary>The header and metadata as read by the managed reader.</summary>
    public GgufFile Gguf { get; }

    /// <summary>llama.cpp's one-line description, e.g. "llama ?B F32".</summary>
    public string Description { get; }

    /// <summary>The Jinja chat template stored in the file, or null.</summary>
    public string? ChatTemplate { get; }

    public LlamaVocabulary Vocabulary { get; }

    public int EmbeddingSize => LlamaNative.llama_model_n_embd(_handle);

    public int LayerCount => LlamaNative.llama_model_n_layer(_handle);

    public int TrainedContextLength => LlamaNative.llama_model_n_ctx_train(_handle);

    public ulong ParameterCount => LlamaNative.llama_model_n_params(_handle);

    public ulong SizeBytes => LlamaNative.llama_model_size(_handle);

    public bool HasEncoder => LlamaNative.llama_model_has_encoder(_handle);

    /// <summary>llama.cpp's report of layers placed on a GPU, e.g. "0/3" on a CPU-only machine (null if it said nothing).</summary>
    public string? OffloadedLayers { get; private init; }

    internal SafeLlamaModelHandle Handle => _handle;

    /// <summary>Validates and loads <paramref name="path"/>.</summary>
    /// <exception cref="LlamaModelLoadException">Missing, malformed or refused file; the message names it.</exception>
    public static LlamaModel Load(string path, LlamaModelSettings? settings = null, ILogger? logger = null, IProgress<float>? progress = null) =>
        Load(path, settings, logger, progress, validate: true);

    /// <summary>
    /// Loads <paramref name="path"/> without the semantic validation, so that a file made to trip llama.cpp reaches it.
    /// Only the engine worker's test-only switch calls this (MedHelm.Engine.Worker's TestOnlySwitch).
    /// </summary>
    internal static LlamaModel LoadUnvalidatedForTests(string path, LlamaModelSettings? settings, ILogger? logger) =>
        Load(path, settings, logger, progress: null, validate: false);

    private static LlamaModel Load(string path, LlamaModelSettings? settings, ILogger? logger, IProgress<float>? progress, bool validate)
    {
        LlamaRuntime.EnsureInitialized();
        settings ??= new LlamaModelSettings();
        var name = System.IO.Path.GetFileName(path);
        GgufFile gguf;
        try
        {
            gguf = GgufReader.Read(path);
            if (validate)
            {
                GgufModelValidator.Validate(gguf);
            }
        }
        catch (GgufFormatException e)
        {
            throw new LlamaModelLoadException(e.Message, e);
        }

        var parameters = LlamaNative.llama_model_default_params();
        parameters.GpuLayers = settings.GpuLayers;
        parameters.MainGpu = settings.MainGpu;
        // The batch-invariant CPU build has weight repacking compiled out: its one extra buffer type is AMX's (where the
        // CPU has it), whose products gave byte-identical outputs at 1, 4 and 16 sequences (docs/engine.md), so it stays on.
        parameters.UseExtraBufferTypes = settings.RepackWeights || LlamaRuntime.Current?.RepackCompiledOut == true;
        parameters.SplitMode = settings.TensorSplit.Count > 1 ? LlamaSplitMode.Layer : parameters.SplitMode;
        var split = settings.TensorSplit.Count > 0 ? new float[Math.Max((int)LlamaNative.llama_max_devices(), settings.TensorSplit.Count)] : null;
        settings.TensorSplit.ToArray().CopyTo(split ?? []);

        var progressHandle = progress is null ? default : GCHandle.Alloc(progress);
        try
        {
            fixed (float* splitPtr = split)
            {
                parameters.TensorSplit = (nint)splitPtr;
                if (progress is not null)
                {
                    parameters.ProgressCallback = (nint)(delegate* unmanaged[Cdecl]<float, void*, byte>)&OnProgress;
                    parameters.ProgressCallbackUserData = GCHandle.ToIntPtr(progressHandle);
                }

                using var log = LlamaLogBridge.Capture();
                var handle = LlamaNative.llama_model_load_from_file(System.IO.Path.GetFullPath(path), parameters);
                if (handle.IsInvalid)
                {
                    handle.Dispose();
                    throw new LlamaModelLoadException(
                        $"llama.cpp could not load {name} ({gguf.Architecture}); the llama.cpp log lines above say why.");
                }

                LlamaModel model;
                try
                {
                    model = new LlamaModel(path, handle, gguf)
                    {
                        OffloadedLayers = ParseOffload(log.Lines) ?? (LlamaNative.llama_supports_gpu_offload() ? null : "none (no GPU backend loaded)"),
                    };
                }
                catch
                {
                    handle.Dispose(); // the chat template cannot be executed (LlamaModelLoadException)
                    throw;
                }

                logger?.LogInformation(
                    "Loaded {Model}: {Description}, {Layers} layers, n_embd {Embd}, {Params} parameters, {SizeMiB:F1} MiB, offloaded to GPU: {Offloaded}",
                    name, model.Description, model.LayerCount, model.EmbeddingSize, model.ParameterCount, model.SizeBytes / 1048576.0, model.OffloadedLayers ?? "unknown");
                return model;
            }
        }
        finally
        {
            if (progressHandle.IsAllocated)
            {
                progressHandle.Free();
            }
        }
    }

    /// <summary>Reads a metadata string through llama.cpp (null when absent).</summary>
    public string? GetMetadata(string key)
    {
        var size = 256;
        while (true)
        {
            var buffer = new byte[size];
            int length;
            fixed (byte* p = buffer)
            {
                length = LlamaNative.llama_model_meta_val_str(_handle, key, p, (nuint)size);
            }

            if (length < 0)
            {
                return null;
            }

            if (length < size)
            {
                return System.Text.Encoding.UTF8.GetString(buffer, 0, length);
            }

            size = length + 1;
        }
    }

    public void Dispose() => _handle.Dispose();

    private static string? ParseOffload(IReadOnlyList<string> lines)
    {
        foreach (var line in lines)
        {
            var match = OffloadPattern().Match(line);
            if (match.Success)
            {
                return match.Groups[1].Value;
            }
        }

        return null;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"offloaded (\d+/\d+) layers to GPU")]
    private static partial System.Text.RegularExpressions.Regex OffloadPattern();

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static byte OnProgress(float value, void* userData)
    {
        try
        {
            if (GCHandle.FromIntPtr((nint)userData).Target is IProgress<float> progress)
            {
                progress.Report(value);
            }
        }
        catch
        {
            // never let an exception cross into native code
        }

        return 1;
    }
}
