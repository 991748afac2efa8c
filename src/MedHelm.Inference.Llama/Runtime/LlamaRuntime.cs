using System.Reflection;
using System.Runtime.InteropServices;
using MedHelm.Inference.Llama.Native;
using Microsoft.Extensions.Logging;

namespace MedHelm.Inference.Llama.Runtime;

/// <summary>
/// The one resolver for the llama.cpp libraries: loads them by full path from the configured backend folder,
/// registers the ggml backends found there, routes llama.cpp's log to Microsoft.Extensions.Logging and initialises
/// the backend once per process. Loading a second, different folder in the same process is refused.
/// </summary>
public static unsafe class LlamaRuntime
{
    private static readonly Lock s_gate = new();
    private static readonly Dictionary<string, nint> s_libraries = new(StringComparer.Ordinal);
    private static LlamaRuntimeInfo? s_info;

    /// <summary>The runtime loaded by <see cref="Initialize"/>, or null before it.</summary>
    public static LlamaRuntimeInfo? Current => s_info;

    /// <summary>Loads the libraries of <paramref name="folder"/> (idempotent for the same folder).</summary>
    /// <exception cref="LlamaRuntimeNotFoundException">The folder or one of its libraries is missing or cannot load.</exception>
    public static LlamaRuntimeInfo Initialize(string folder, string backend, ILogger logger, bool verboseNativeLog = false)
    {
        lock (s_gate)
        {
            folder = Path.GetFullPath(folder);
            var install = backend switch
            {
                "cuda" => "scripts/install-runtime.sh --cuda",
                "cuda12" => "gpu-kernels/cuda12/build.sh (needs the CUDA 12 toolkit)",
                "native" => "scripts/build-llama-native.sh",
                _ when Path.GetFileName(folder) is RuntimeFolder.InvariantCpu or RuntimeFolder.NativeCpu => "scripts/install-runtime.sh --native",
                _ => "scripts/install-runtime.sh",
            };
            if (!Directory.Exists(folder))
            {
                throw new LlamaRuntimeNotFoundException(
                    $"The llama.cpp {backend} runtime is not installed (no folder {folder}); run {install}.");
            }

            if (s_info is not null)
            {
                if (!string.Equals(s_info.Folder, folder, StringComparison.Ordinal))
                {
                    throw new InvalidOperationException(
                        $"llama.cpp is already loaded from {s_info.Folder}; one process uses one runtime folder (asked for {folder}).");
                }

                return s_info;
            }

            var loaded = new List<string>();
            foreach (var (logical, candidates) in LlamaLibraryNames.Files)
            {
                var path = candidates.Select(c => Path.Combine(folder, c)).FirstOrDefault(File.Exists);
                if (path is null)
                {
                    throw new LlamaRuntimeNotFoundException(
                        $"The llama.cpp {backend} runtime in {folder} is incomplete ({candidates[0]} is missing); run {install}.");
                }

                try
                {
                    s_libraries[logical] = NativeLibrary.Load(path);
                }
                catch (DllNotFoundException e)
                {
                    throw new LlamaRuntimeNotFoundException(
                        $"{path} could not be loaded ({FirstLine(e.Message)}); run {install}, or check that this machine has glibc 2.34 or newer.", e);
                }

                loaded.Add(path);
            }

            NativeLibrary.SetDllImportResolver(typeof(LlamaRuntime).Assembly, Resolve);
            LlamaLogBridge.Attach(logger, verboseNativeLog);

            // Without this ggml only looks next to the dotnet host and finds no CPU backend.
            LlamaNative.ggml_backend_load_all_from_path(folder);
            LlamaNative.llama_backend_init();

            var backends = new List<string>();
            for (nuint i = 0; i < LlamaNative.ggml_backend_reg_count(); i++)
            {
                backends.Add(Utf8(LlamaNative.ggml_backend_reg_name(LlamaNative.ggml_backend_reg_get(i))));
            }

            var devices = new List<LlamaDeviceInfo>();
            for (nuint i = 0; i < LlamaNative.ggml_backend_dev_count(); i++)
            {
                var device = LlamaNative.ggml_backend_dev_get(i);
                nuint free = 0, total = 0;
                LlamaNative.ggml_backend_dev_memory(device, &free, &total);
                devices.Add(new LlamaDeviceInfo(
                    Utf8(LlamaNative.ggml_backend_dev_name(device)),
                    Utf8(LlamaNative.ggml_backend_dev_description(device)),
                    LlamaNative.ggml_backend_dev_type(device).ToString(),
                    free,
                    total));
            }

            if (backends.Count == 0)
            {
                throw new LlamaRuntimeNotFoundException(
                    $"llama.cpp loaded from {folder} but registered no compute backend (no libggml-cpu-*.so usable there); run {install}.");
            }

            if (backend == "cuda" && !devices.Any(d => d.Type is nameof(GgmlBackendDeviceType.Gpu) or nameof(GgmlBackendDeviceType.IntegratedGpu)))
            {
                throw new LlamaRuntimeNotFoundException(
                    $"CUDA was requested (Inference:Backend = cuda) but llama.cpp found no CUDA device with the libraries in {folder}: " +
                    "check the NVIDIA driver (nvidia-smi) and that libcudart.so.13 and libcublas.so.13 are on the library path, or set Inference:Backend to cpu.");
            }

            s_info = new LlamaRuntimeInfo(
                folder,
                backend,
                LlamaCppVersion.Value,
                loaded,
                backends,
                devices,
                LlamaNative.llama_supports_gpu_offload(),
                Utf8(LlamaNative.llama_print_system_info()))
            {
                CpuLibrary = LoadedCpuLibrary(),
                RepackCompiledOut = RuntimeFolder.BuiltWithoutRepack(folder),
                InvariantFlashAttention = RuntimeFolder.HasInvariantFlashAttention(folder),
            };

            logger.LogInformation(
                "llama.cpp {Version} loaded from {Folder}: libraries {Libraries}; backends {Backends}; devices {Devices}",
                s_info.LlamaCppVersion,
                folder,
                string.Join(", ", loaded.Select(Path.GetFileName)),
                string.Join(", ", backends),
                string.Join(", ", devices.Select(d => $"{d.Name} ({d.Type})")));
            return s_info;
        }
    }

    /// <summary>Throws unless <see cref="Initialize"/> has run.</summary>
    internal static void EnsureInitialized()
    {
        if (s_info is null)
        {
            throw new InvalidOperationException("LlamaRuntime.Initialize must run before a model is loaded.");
        }
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        s_libraries.TryGetValue(libraryName, out var handle) ? handle : IntPtr.Zero;

    /// <summary>The ggml CPU backend library this process mapped (the variant ggml chose), from /proc/self/maps; null where unknown.</summary>
    private static string? LoadedCpuLibrary()
    {
        try
        {
            return File.ReadLines("/proc/self/maps")
                .Select(line => line.IndexOf('/', StringComparison.Ordinal) is var at and >= 0 ? line[at..] : "")
                .FirstOrDefault(path => Path.GetFileName(path).StartsWith("libggml-cpu", StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    internal static string Utf8(byte* text) => text == null ? "" : Marshal.PtrToStringUTF8((nint)text) ?? "";

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();
}
