using MedHelm.Gguf.TestModels;
using MedHelm.Inference.Llama.Runtime;
using Microsoft.Extensions.Logging.Abstractions;

namespace MedHelm.Inference.Llama.Tests.Support;

/// <summary>
/// Loads the real llama.cpp runtime (installed by scripts/install-runtime.sh, which scripts/test.sh runs first)
/// and generates the small random-weight models the tests use, once per test run.
/// </summary>
public sealed class LlamaFixture : IDisposable
{
    private readonly TempFolder _folder;

    public LlamaFixture()
    {
        RepositoryRoot = RepositoryPaths.Root;
        RuntimeFolder = Path.Combine(RepositoryRoot, "runtimes", "llama", "cpu");
        Runtime = LlamaRuntime.Initialize(RuntimeFolder, "cpu", NullLogger.Instance);
        _folder = new TempFolder("medhelm-llama-tests-");
        LlamaModelPath = Path.Combine(Folder, "llama.gguf");
        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.Llama, Layers = 2, Embd = 64, Seed = 7 }, LlamaModelPath);
        DeepSeekModelPath = Path.Combine(Folder, "deepseek-r1.gguf");
        TestModelFactory.Write(new TestModelSpec { Kind = TestModelKind.DeepSeekR1, Layers = 2, Embd = 64, Seed = 8 }, DeepSeekModelPath);
    }

    public string RepositoryRoot { get; }

    public string RuntimeFolder { get; }

    public LlamaRuntimeInfo Runtime { get; }

    public string Folder => _folder.Path;

    public string LlamaModelPath { get; }

    public string DeepSeekModelPath { get; }

    public string NewFile(string name) => Path.Combine(Folder, name);

    // a model file still mapped by a test's model is released at process exit: TempFolder leaves what it cannot delete
    public void Dispose() => _folder.Dispose();
}

[CollectionDefinition(Name)]
public sealed class LlamaCollection : ICollectionFixture<LlamaFixture>
{
    public const string Name = "llama.cpp";
}
