using MedHelm.Application.Options;
using MedHelm.Application.Runs;
using MedHelm.Inference.Llama.Generation;

namespace MedHelm.Application.Tests.Options;

/// <summary>The Determinism setting of a <c>Models</c> entry: what each mode sets in llama.cpp, and what is refused at start.</summary>
public sealed class DeterminismOptionsTests
{
    [Fact]
    public void Batch_invariant_is_the_default_and_turns_flash_attention_and_weight_repacking_off()
    {
        var options = new LocalModelOptions { File = "m.gguf" };

        Assert.Equal(DeterminismMode.BatchInvariant, options.Determinism);
        Assert.False(options.ToModelSettings().RepackWeights);
        var engine = options.ToEngineOptions(threads: 2);
        Assert.False(engine.Context.FlashAttention);
        Assert.Equal(DeterminismMode.BatchInvariant, engine.Determinism);
        Assert.Equal("BatchInvariant (flash attention off, no weight repacking)", options.DeterminismProfile().Describe());
    }

    [Theory]
    [InlineData(DeterminismMode.BatchInvariant, true, true)]
    [InlineData(DeterminismMode.Repeatable, true, true)]
    [InlineData(DeterminismMode.BatchInvariant, false, false)]
    [InlineData(DeterminismMode.Fastest, true, null)]
    public void On_a_backend_with_batch_invariant_flash_attention_only_the_repeatable_modes_turn_it_on(DeterminismMode mode, bool invariantKernel, bool? flashAttention)
    {
        var profile = DeterminismProfile.For(mode).OnKernels(invariantKernel);

        Assert.Equal(flashAttention, profile.FlashAttention);
        Assert.Equal(flashAttention == true, profile.InvariantFlashAttention);
        Assert.Equal(DeterminismProfile.For(mode).RepackWeights, profile.RepackWeights);
    }

    [Theory]
    [InlineData(DeterminismMode.Repeatable, null, false, false)]
    [InlineData(DeterminismMode.Repeatable, false, false, false)]
    [InlineData(DeterminismMode.Fastest, null, null, true)]
    [InlineData(DeterminismMode.Fastest, true, true, true)]
    [InlineData(DeterminismMode.Fastest, false, false, true)]
    [InlineData(DeterminismMode.BatchInvariant, false, false, false)]
    public void Each_mode_resolves_to_its_llama_cpp_settings(DeterminismMode mode, bool? configured, bool? flashAttention, bool repack)
    {
        var options = new LocalModelOptions { File = "m.gguf", Determinism = mode, FlashAttention = configured };

        Assert.Equal(flashAttention, options.ToEngineOptions(threads: 1).Context.FlashAttention);
        Assert.Equal(repack, options.ToModelSettings().RepackWeights);
    }

    [Theory]
    [InlineData(DeterminismMode.BatchInvariant)]
    [InlineData(DeterminismMode.Repeatable)]
    public void Flash_attention_forced_on_is_refused_at_start_outside_fastest_naming_the_field(DeterminismMode mode)
    {
        var models = new Dictionary<string, LocalModelOptions> { ["m"] = new() { File = "m.gguf", Determinism = mode, FlashAttention = true } };

        var result = new ModelsOptionsValidator().Validate(null, models);

        Assert.True(result.Failed);
        Assert.Contains($"Models:m:FlashAttention true contradicts Determinism {mode}", result.FailureMessage, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => models["m"].ToEngineOptions(threads: 1));
    }

    [Fact]
    public void An_undefined_mode_is_refused_at_start()
    {
        var models = new Dictionary<string, LocalModelOptions> { ["m"] = new() { File = "m.gguf", Determinism = (DeterminismMode)7 } };

        var result = new ModelsOptionsValidator().Validate(null, models);

        Assert.True(result.Failed);
        Assert.Contains("Models:m:Determinism must be BatchInvariant, Repeatable or Fastest", result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DeterminismMode.BatchInvariant, null)]
    [InlineData(DeterminismMode.Repeatable, "Repeatable")]
    [InlineData(DeterminismMode.Fastest, "Fastest")]
    public void Outputs_of_the_modes_that_depend_on_the_batch_are_stored_under_their_own_ledger_keys(DeterminismMode mode, string? expected)
    {
        var model = new PreparedModel("m.gguf", "m", "/m.gguf", new LocalModelOptions { File = "m.gguf", Determinism = mode }, "abc", 1, "llama", "Q8_0", 1);

        Assert.Equal(expected, model.DecodingExtras.TryGetValue("determinism", out var value) ? value : null);
    }
}
