using System.Runtime.InteropServices;

namespace MedHelm.Inference.Llama.Native;

internal static unsafe partial class LlamaNative
{
    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial LlamaSamplerChainParams llama_sampler_chain_default_params();

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial SafeLlamaSamplerHandle llama_sampler_chain_init(LlamaSamplerChainParams parameters);

    /// <summary>Takes ownership of <paramref name="sampler"/>: it is freed with the chain.</summary>
    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial void llama_sampler_chain_add(SafeLlamaSamplerHandle chain, nint sampler);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial int llama_sampler_chain_n(SafeLlamaSamplerHandle chain);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial nint llama_sampler_init_greedy();

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial nint llama_sampler_init_dist(uint seed);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial nint llama_sampler_init_top_k(int k);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial nint llama_sampler_init_top_p(float p, nuint minKeep);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial nint llama_sampler_init_temp(float temperature);

    [LibraryImport(LlamaLibraryNames.Llama, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint llama_sampler_init_grammar(nint vocab, string grammar, string root);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial int llama_sampler_sample(SafeLlamaSamplerHandle sampler, SafeLlamaContextHandle context, int index);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial void llama_sampler_accept(SafeLlamaSamplerHandle sampler, int token);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial void llama_sampler_reset(SafeLlamaSamplerHandle sampler);

    [LibraryImport(LlamaLibraryNames.Llama)]
    public static partial void llama_sampler_free(nint sampler);
}
