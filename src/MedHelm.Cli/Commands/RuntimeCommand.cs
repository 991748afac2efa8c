using System.CommandLine;
using System.Text.Json;

namespace MedHelm.Cli.Commands;

/// <summary><c>medhelm runtime info</c>: the start-up self-test of the native runtime.</summary>
internal static class RuntimeCommand
{
    public static Command Build()
    {
        var json = new Option<bool>("--json") { Description = "Print JSON instead of text." };
        var info = new Command("info", "Load llama.cpp from the configured backend folder and report version, libraries, backends and devices.") { json };
        info.SetAction((parse, ct) => CommandRunner.RunAsync(parse, ct, (host, _) =>
        {
            var runtime = host.InitializeLlama();
            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(runtime, new JsonSerializerOptions { WriteIndented = true }));
                return Task.FromResult(CommandRunner.Ok);
            }

            Console.Out.WriteLine($"llama.cpp   {runtime.LlamaCppVersion}");
            Console.Out.WriteLine($"backend     {runtime.Backend} ({runtime.Folder})");
            Console.Out.WriteLine($"libraries   {string.Join(", ", runtime.Libraries.Select(Path.GetFileName))}");
            Console.Out.WriteLine($"registered  {string.Join(", ", runtime.Backends)}");
            foreach (var d in runtime.Devices)
            {
                Console.Out.WriteLine($"device      {d.Name} [{d.Type}] {d.Description}, {d.TotalBytes / 1048576} MiB");
            }

            Console.Out.WriteLine($"gpu offload {(runtime.SupportsGpuOffload ? "available" : "not available")}");
            Console.Out.WriteLine($"cpu         {runtime.SystemInfo}");
            return Task.FromResult(CommandRunner.Ok);
        }));
        return new Command("runtime", "The llama.cpp runtime this installation uses.") { info };
    }
}
