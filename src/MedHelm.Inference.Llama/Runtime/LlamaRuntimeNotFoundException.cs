namespace MedHelm.Inference.Llama.Runtime;

/// <summary>The llama.cpp shared libraries are not where the configuration says; the message names the fix.</summary>
public sealed class LlamaRuntimeNotFoundException(string message, Exception? inner = null) : Exception(message, inner);
