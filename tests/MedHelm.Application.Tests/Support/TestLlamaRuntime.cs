using MedHelm.Inference.Llama.Generation;
using MedHelm.Inference.Llama.Runtime;
using Microsoft.Extensions.Logging.Abstractions;

namespace MedHelm.Application.Tests.Support;

/// <summary>
/// The repository's llama.cpp runtime as this test process loads it. One process loads one folder, and the model
/// loader picks the batch-invariant CPU backend for the default Determinism when it is installed: the tests that load
/// llama.cpp directly take the same folder, so that they and the loader's tests can run in one process in any order.
/// </summary>
internal static class TestLlamaRuntime
{
    public static LlamaRuntimeOptions Options => new() { RuntimeRoot = Path.Combine(RepositoryPaths.Root, "runtimes", "llama"), Threads = 1 };

    public static LlamaRuntimeInfo Initialize()
    {
        var folder = Options.FolderFor(RepositoryPaths.Root, DeterminismMode.BatchInvariant);
        return LlamaRuntime.Initialize(folder.Path, folder.Backend, NullLogger.Instance);
    }
}
