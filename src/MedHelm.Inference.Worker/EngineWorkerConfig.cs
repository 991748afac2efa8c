using System.Text.Json;
using MedHelm.Inference.Llama.Chat;
using MedHelm.Inference.Llama.Models;

namespace MedHelm.Inference.Worker;

/// <summary>What a worker loads: the llama.cpp backend, the model file with its placement, and the engine's settings.</summary>
/// <param name="BackendFolder">The folder of the llama.cpp libraries.</param>
/// <param name="Backend">The backend's name (cpu, cuda, native).</param>
/// <param name="ModelPath">The GGUF file.</param>
/// <param name="Model">Its placement (GPU layers, split).</param>
/// <param name="Chat">The chat client's settings (name, engine: sequences, context, threads, reasoning).</param>
/// <param name="VerboseNativeLog">Pass llama.cpp's own log through.</param>
public sealed record EngineWorkerConfig(
    string BackendFolder, string Backend, string ModelPath, LlamaModelSettings Model, LlamaChatClientOptions Chat, bool VerboseNativeLog = false)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The configuration as the worker reads it.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads a worker's configuration.</summary>
    /// <exception cref="InvalidDataException">The file is not a configuration.</exception>
    public static EngineWorkerConfig FromJson(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<EngineWorkerConfig>(json, Json) ?? throw new InvalidDataException("engine worker: an empty configuration.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"engine worker: the configuration is not valid ({e.Message}).", e);
        }
    }
}
