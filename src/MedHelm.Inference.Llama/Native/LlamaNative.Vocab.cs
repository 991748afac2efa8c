using System.Runtime.InteropServices;

namespace MedHelm.Inference.Llama.Native;

internal static unsafe partial class LlamaNative
{
    // The vocabulary is owned by its model: a raw pointer, valid while the model handle lives.

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial int llama_vocab_n_tokens(nint vocab);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial int llama_vocab_bos(nint vocab);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial int llama_vocab_eos(nint vocab);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial int llama_vocab_eot(nint vocab);

    [LibraryImport(LlamaLibraryNames.Llama)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_vocab_get_add_bos(nint vocab);

    [LibraryImport(LlamaLibraryNames.Llama)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_vocab_get_add_eos(nint vocab);

    [LibraryImport(LlamaLibraryNames.Llama)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_vocab_is_eog(nint vocab, int token);

    [LibraryImport(LlamaLibraryNames.Llama)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_vocab_is_control(nint vocab, int token);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial int llama_tokenize(nint vocab, byte* text, int textLength, int* tokens, int maxTokens, [MarshalAs(UnmanagedType.U1)] bool addSpecial, [MarshalAs(UnmanagedType.U1)] bool parseSpecial);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial int llama_token_to_piece(nint vocab, int token, byte* buffer, int length, int leftStrip, [MarshalAs(UnmanagedType.U1)] bool special);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial int llama_detokenize(nint vocab, int* tokens, int tokenCount, byte* text, int maxLength, [MarshalAs(UnmanagedType.U1)] bool removeSpecial, [MarshalAs(UnmanagedType.U1)] bool unparseSpecial);
}
