using MedHelm.Inference.Llama.Native;
using MedHelm.Inference.Llama.Runtime;
using MedHelm.Inference.Llama.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace MedHelm.Inference.Llama.Tests;

[Collection(LlamaCollection.Name)]
public sealed class LlamaRuntimeTests(LlamaFixture fixture)
{
    [Fact]
    public void Loads_the_cpu_backend_and_records_the_pinned_version()
    {
        Assert.Contains(fixture.Runtime.Backends, b => b.Equals("CPU", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(fixture.Runtime.Devices, d => d.Type == "Cpu");
        Assert.Equal(3, fixture.Runtime.Libraries.Count);
        Assert.StartsWith("v0.5.0 ", fixture.Runtime.LlamaCppVersion, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllText(Path.Combine(fixture.RepositoryRoot, "gpu-kernels", "LLAMA_CPP_VERSION")).Trim(), LlamaCppVersion.Value);
    }

    [Fact]
    public void Default_params_read_back_from_the_library_match_llama_h()
    {
        // A wrong struct layout would scramble these values.
        var c = LlamaNative.llama_context_default_params();
        Assert.Equal(512u, c.ContextSize);
        Assert.Equal(2048u, c.BatchSize);
        Assert.Equal(512u, c.MicroBatchSize);
        Assert.Equal(1u, c.MaxSequences);
        Assert.True(c.OffloadKqv);
        Assert.True(c.NoPerf);
        Assert.False(c.KvUnified);
        Assert.Equal(IntPtr.Zero, c.OtherContext);

        var m = LlamaNative.llama_model_default_params();
        Assert.Equal(-1, m.GpuLayers);
        Assert.Equal(LlamaSplitMode.Layer, m.SplitMode);
        Assert.False(m.VocabOnly);
        Assert.True(m.UseExtraBufferTypes);
    }

    [Fact]
    public void Initializing_again_with_the_same_folder_is_a_no_op()
    {
        var again = LlamaRuntime.Initialize(fixture.RuntimeFolder, "cpu", NullLogger.Instance);
        Assert.Same(fixture.Runtime, again);
    }

    [Fact]
    public void A_missing_runtime_folder_names_the_install_command()
    {
        var missing = Path.Combine(fixture.Folder, "no-runtime-here", "cuda");
        var e = Assert.Throws<LlamaRuntimeNotFoundException>(() => LlamaRuntime.Initialize(missing, "cuda", NullLogger.Instance));
        Assert.Contains("scripts/install-runtime.sh --cuda", e.Message, StringComparison.Ordinal);
        Assert.Contains(missing, e.Message, StringComparison.Ordinal);
    }
}
