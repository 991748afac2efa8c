using MedHelm.Application.Errors;
using MedHelm.Inference.Worker;

namespace MedHelm.Application.Models;

/// <summary>Finds the engine worker (MedHelm.Engine.Worker, built beside every host) and how to start it.</summary>
public static class EngineWorkerLocator
{
    private const string Name = "MedHelm.Engine.Worker";

    /// <summary>
    /// Its executable when the build made one, else its dll under the dotnet host that runs this process; the
    /// environment gets glibc's huge-page tunable (<see cref="HugePages"/>).
    /// </summary>
    /// <exception cref="RequestValidationException">The worker is not installed beside this host.</exception>
    public static EngineWorkerStartInfo StartInfo(string modelName, string configJson, IReadOnlyDictionary<string, string>? environment)
    {
        environment = HugePages.ForChild(environment); // the worker's KV cache on transparent huge pages
        var folder = AppContext.BaseDirectory;
        var executable = Path.Combine(folder, Name);
        if (File.Exists(executable))
        {
            return new EngineWorkerStartInfo(executable, [], modelName, configJson, environment);
        }

        var dll = Path.Combine(folder, Name + ".dll");
        if (!File.Exists(dll))
        {
            throw new RequestValidationException(
                $"ModelLoader:Placement is Worker, but the engine worker ({Name}) is not installed in {folder}; reinstall, or set ModelLoader:Placement to Process.");
        }

        return new EngineWorkerStartInfo(DotnetHost(), [dll], modelName, configJson, environment);
    }

    private static string DotnetHost()
    {
        var current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet")
        {
            return current;
        }

        return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
    }
}
