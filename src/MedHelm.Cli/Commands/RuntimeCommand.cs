using System.CommandLine;
using System.Text.Json;
using MedHelm.Evaluation.Files;

namespace MedHelm.Cli.Commands;

/// <summary><c>medhelm runtime info</c>: the start-up self-test of the native runtime.</summary>
internal static class RuntimeCommand
{
    public static Command Build()
    {
        var json = new Option<bool>("--json") { Description = "Print JSON instead of text." };
        var model = new Option<FileInfo?>("--model", "-m") { Description = "Also load this GGUF model and report where its layers went." };
        var info = new Command("info", "Self-test: load llama.cpp from the configured backend folder and report version, libraries, backends, devices and (with --model) offloaded layers.") { json, model };
        info.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (host, _) =>
        {
            var file = parse.GetValue(model);
            if (file is not null)
            {
                // checked before the runtime is loaded: a pipe or device is refused without being opened
                RegularFiles.EnsureRegular(file.FullName, "GGUF model file");
                if (!file.Exists)
                {
                    throw new FileNotFoundException($"The model file {file.FullName} does not exist.");
                }
            }

            var runtime = host.InitializeLlama();
            var driver = Inference.Llama.Runtime.CudaDriver.Version();
            string? offloaded = null;
            if (file is not null)
            {
                using var loaded = Inference.Llama.Models.LlamaModel.Load(file.FullName, new Inference.Llama.Models.LlamaModelSettings(), host.Logger("MedHelm.Models"));
                offloaded = $"{loaded.OffloadedLayers ?? "unknown"} ({file.Name}, {loaded.LayerCount} layers)";
            }

            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(new { runtime, cuda_driver = driver, offloaded_layers = offloaded }, new JsonSerializerOptions { WriteIndented = true }));
                return Task.FromResult(CommandRunner.Ok);
            }

            Console.Out.WriteLine($"llama.cpp   {runtime.LlamaCppVersion}");
            Console.Out.WriteLine($"backend     {runtime.Backend} ({runtime.Folder})");
            Console.Out.WriteLine($"libraries   {string.Join(", ", runtime.Libraries.Select(Path.GetFileName))}");
            Console.Out.WriteLine($"registered  {string.Join(", ", runtime.Backends)}");
            Console.Out.WriteLine($"cpu library {runtime.CpuLibrary ?? "unknown"}");
            foreach (var d in runtime.Devices)
            {
                Console.Out.WriteLine($"device      {d.Name} [{d.Type}] {d.Description}, {d.TotalBytes / 1048576} MiB");
            }

            Console.Out.WriteLine($"driver      {(driver is null ? "no NVIDIA driver (libcuda.so.1 does not load)" : $"NVIDIA, CUDA {driver} (libcuda.so.1)")}");
            Console.Out.WriteLine($"gpu offload {(runtime.SupportsGpuOffload ? "available" : "not available")}");
            Console.Out.WriteLine($"cpu         {runtime.SystemInfo}");
            if (offloaded is not null)
            {
                Console.Out.WriteLine($"offloaded   {offloaded}");
            }

            return Task.FromResult(CommandRunner.Ok);
        }));
        return new Command("runtime", "The llama.cpp runtime this installation uses.") { info };
    }
}
