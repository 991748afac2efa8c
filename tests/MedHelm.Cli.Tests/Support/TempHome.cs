using System.Text.Json;

namespace MedHelm.Cli.Tests.Support;

/// <summary>A throw-away MEDHELM_HOME with its own appsettings.json and data folder, using the clone's installed runtime.</summary>
public sealed class TempHome : IDisposable
{
    private readonly TempFolder _folder = new("medhelm-cli-");

    public TempHome(object? extraSettings = null)
    {
        var settings = new Dictionary<string, object>
        {
            // One llama.cpp thread per engine. xunit runs test classes side by side, so several CLI processes decode at
            // once; with two threads each, a thread waiting at llama.cpp's per-operation barrier for a descheduled peer
            // spins away its time slice. Measured here on a loaded machine: the same 12-instance run (1-layer tiny
            // model, four benchmarks) took 321 s with Threads 2 and 23 s with Threads 1.
            ["Inference"] = new { Backend = "cpu", RuntimeRoot = Path.Combine(CliProcess.RepositoryRoot, "runtimes", "llama"), Threads = 1 },
            ["Storage"] = new { DataFolder = "data", DatabaseFile = "medhelm.db" },
            // the longest bundled prompts (MedCalc-Bench, and ACI-Bench's judge prompts) need ~9k tokens of context
            ["Demo"] = new { ModelsFolder = "data/models", Layers = 1, Embedding = 64, Sequences = 4, ContextPerSequence = 12288 },
        };
        if (extraSettings is not null)
        {
            foreach (var property in JsonSerializer.SerializeToElement(extraSettings).EnumerateObject())
            {
                settings[property.Name] = property.Value;
            }
        }

        File.WriteAllText(Path.Combine(Folder, "appsettings.json"), JsonSerializer.Serialize(settings));
    }

    public string Folder => _folder.Path;

    public string PathOf(params string[] parts) => _folder.PathOf(parts);

    public void Dispose() => _folder.Dispose();
}
