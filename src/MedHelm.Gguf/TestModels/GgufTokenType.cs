namespace MedHelm.Gguf.TestModels;

/// <summary>Values of tokenizer.ggml.token_type (llama_token_type in include/llama.h).</summary>
public static class GgufTokenType
{
    public const int Undefined = 0;
    public const int Normal = 1;
    public const int Unknown = 2;
    public const int Control = 3;
    public const int UserDefined = 4;
    public const int Unused = 5;
    public const int Byte = 6;
}
