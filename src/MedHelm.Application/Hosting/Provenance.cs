using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using MedHelm.Inference.Llama.Runtime;

namespace MedHelm.Application.Hosting;

/// <summary>What every run records about the software and the machine it ran on.</summary>
public static class Provenance
{
    public static string AppVersion() =>
        typeof(Provenance).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(Provenance).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    public static string Machine(LlamaRuntimeInfo runtime) =>
        $"{Environment.MachineName}; {RuntimeInformation.OSDescription}; " +
        $"{RuntimeInformation.ProcessArchitecture}; {Environment.ProcessorCount} cores; .NET {Environment.Version}; " +
        $"devices: {string.Join(", ", runtime.Devices.Select(d => $"{d.Description} [{d.Type}]"))}";

    public static string Gpus(LlamaRuntimeInfo runtime)
    {
        var gpus = runtime.Devices.Where(d => d.Type.Contains("gpu", StringComparison.OrdinalIgnoreCase)).ToArray();
        return gpus.Length == 0
            ? "none"
            : string.Join(", ", gpus.Select(d => string.Create(CultureInfo.InvariantCulture, $"{d.Description} ({d.TotalBytes / (1024 * 1024)} MiB)")));
    }
}
