using System.Runtime.InteropServices;

namespace MedHelm.Inference.Llama.Native;

internal static unsafe partial class LlamaNative
{
    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial LlamaModelParams llama_model_default_params();

    [LibraryImport(LlamaLibraryNames.Llama, StringMarshalling = StringMarshalling.Utf8)]
    public static partial SafeLlamaModelHandle llama_model_load_from_file(string path, LlamaModelParams parameters);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial void llama_model_free(nint model);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial nint llama_model_get_vocab(SafeLlamaModelHandle model);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial int llama_model_n_embd(SafeLlamaModelHandle model);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial int llama_model_n_layer(SafeLlamaModelHandle model);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial int llama_model_n_ctx_train(SafeLlamaModelHandle model);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial ulong llama_model_n_params(SafeLlamaModelHandle model);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial ulong llama_model_size(SafeLlamaModelHandle model);

    [LibraryImport(LlamaLibraryNames.Llama)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_model_has_encoder(SafeLlamaModelHandle model);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial int llama_model_desc(SafeLlamaModelHandle model, byte* buffer, nuint bufferSize);

    [LibraryImport(LlamaLibraryNames.Llama, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int llama_model_meta_val_str(SafeLlamaModelHandle model, string key, byte* buffer, nuint bufferSize);

    [LibraryImport(LlamaLibraryNames.Llama, StringMarshalling = StringMarshalling.Utf8)]
    public static partial byte* llama_model_chat_template(SafeLlamaModelHandle model, string? name);
}
