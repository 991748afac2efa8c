using System.Runtime.InteropServices;

namespace MedHelm.Inference.Llama.Native;

/// <summary>Raw llama.h / ggml-backend.h entry points. Only the types in this folder call them.</summary>
internal static unsafe partial class LlamaNative
{
    [LibraryImport(LlamaLibraryNames.Ggml, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void ggml_backend_load_all_from_path(string? dirPath);

    [LibraryImport(LlamaLibraryNames.Ggml)]
    public static partial nuint ggml_backend_reg_count();

    [LibraryImport(LlamaLibraryNames.Ggml)]
    public static partial nint ggml_backend_reg_get(nuint index);

    [LibraryImport(LlamaLibraryNames.GgmlBase)]
    public static partial byte* ggml_backend_reg_name(nint reg);

    [LibraryImport(LlamaLibraryNames.Ggml)]
    public static partial nuint ggml_backend_dev_count();

    [LibraryImport(LlamaLibraryNames.Ggml)]
    public static partial nint ggml_backend_dev_get(nuint index);

    [LibraryImport(LlamaLibraryNames.GgmlBase)]
    public static partial byte* ggml_backend_dev_name(nint device);

    [LibraryImport(LlamaLibraryNames.GgmlBase)]
    public static partial byte* ggml_backend_dev_description(nint device);

    [LibraryImport(LlamaLibraryNames.GgmlBase)]
    public static partial GgmlBackendDeviceType ggml_backend_dev_type(nint device);

    [LibraryImport(LlamaLibraryNames.GgmlBase)]
    public static partial void ggml_backend_dev_memory(nint device, nuint* free, nuint* total);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial void llama_backend_init();

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial void llama_backend_free();

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial void llama_log_set(delegate* unmanaged[Cdecl]<GgmlLogLevel, byte*, void*, void> callback, void* userData);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial byte* llama_print_system_info();

    [LibraryImport(LlamaLibraryNames.Llama)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_supports_gpu_offload();

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial nuint llama_max_devices();

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial long llama_time_us();
}
