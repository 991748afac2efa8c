namespace MedHelm.Inference.Llama.Models;

/// <summary>A model file that is missing, not a usable GGUF, or refused by llama.cpp. The message names the file.</summary>
public sealed class LlamaModelLoadException(string message, Exception? inner = null) : Exception(message, inner);
