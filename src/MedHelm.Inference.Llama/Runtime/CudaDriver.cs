using System.Runtime.InteropServices;

namespace MedHelm.Inference.Llama.Runtime;

/// <summary>
/// The NVIDIA driver's CUDA version, asked of the driver library itself (<c>cuDriverGetVersion</c> in libcuda.so.1), so
/// that <c>medhelm runtime info</c> can say whether a CUDA 13 or a CUDA 12 backend (gpu-kernels/cuda12) fits this machine.
/// </summary>
public static unsafe class CudaDriver
{
    /// <summary>"13.0"-style version of the installed driver's CUDA API, or null when no NVIDIA driver library loads.</summary>
    public static string? Version()
    {
        if (!NativeLibrary.TryLoad("libcuda.so.1", out var library))
        {
            return null;
        }

        if (!NativeLibrary.TryGetExport(library, "cuDriverGetVersion", out var export))
        {
            return null;
        }

        int version;
        var result = ((delegate* unmanaged<int*, int>)export)(&version);
        return result == 0 ? $"{version / 1000}.{version % 1000 / 10}" : null;
    }
}
