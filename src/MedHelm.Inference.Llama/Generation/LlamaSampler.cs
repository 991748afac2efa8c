using MedHelm.Inference.Llama.Models;
using MedHelm.Inference.Llama.Native;

namespace MedHelm.Inference.Llama.Generation;

/// <summary>A llama.cpp sampler chain built from <see cref="SamplingSettings"/>; one per sequence (it holds state).</summary>
internal sealed class LlamaSampler : IDisposable
{
    private readonly SafeLlamaSamplerHandle _chain;

    public LlamaSampler(LlamaVocabulary vocabulary, SamplingSettings settings)
    {
        _chain = LlamaNative.llama_sampler_chain_init(LlamaNative.llama_sampler_chain_default_params());
        if (_chain.IsInvalid)
        {
            throw new InvalidOperationException("llama.cpp could not create a sampler chain.");
        }

        try
        {
            if (settings.Grammar is { Length: > 0 } grammar)
            {
                var g = LlamaNative.llama_sampler_init_grammar(vocabulary.Pointer, grammar, "root");
                if (g == IntPtr.Zero)
                {
                    throw new ArgumentException("The GBNF grammar could not be parsed (see the llama.cpp log).", nameof(settings));
                }

                LlamaNative.llama_sampler_chain_add(_chain, g);
            }

            if (settings.Temperature <= 0)
            {
                LlamaNative.llama_sampler_chain_add(_chain, LlamaNative.llama_sampler_init_greedy());
            }
            else
            {
                if (settings.TopK > 0)
                {
                    LlamaNative.llama_sampler_chain_add(_chain, LlamaNative.llama_sampler_init_top_k(settings.TopK));
                }

                if (settings.TopP is > 0 and < 1)
                {
                    LlamaNative.llama_sampler_chain_add(_chain, LlamaNative.llama_sampler_init_top_p(settings.TopP, 1));
                }

                LlamaNative.llama_sampler_chain_add(_chain, LlamaNative.llama_sampler_init_temp(settings.Temperature));
                LlamaNative.llama_sampler_chain_add(_chain, LlamaNative.llama_sampler_init_dist(settings.Seed));
            }
        }
        catch
        {
            _chain.Dispose();
            throw;
        }
    }

    /// <summary>Samples from the logits at <paramref name="batchIndex"/> of the last decode and accepts the token.</summary>
    public int Sample(LlamaContext context, int batchIndex) =>
        LlamaNative.llama_sampler_sample(_chain, context.Handle, batchIndex);

    /// <summary>Tells the chain about a token chosen elsewhere (a forced token), so grammar state follows.</summary>
    public void Accept(int token) => LlamaNative.llama_sampler_accept(_chain, token);

    public void Dispose() => _chain.Dispose();
}
