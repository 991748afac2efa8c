using MedHelm.Core.Metrics;
using MedHelm.Inference.Onnx.Tests.Support;
using MedHelm.Testing.Onnx;

namespace MedHelm.Inference.Onnx.Tests;

/// <summary>
/// GPU-only: the encoder on ONNX Runtime's CUDA execution provider (Microsoft.ML.OnnxRuntime.Gpu 1.32.0, built for
/// CUDA 13 and cuDNN 9) gives the CPU provider's BERTScore. Skipped, with the reason, where there is no NVIDIA GPU;
/// where there is one, a CUDA provider that does not load fails the test with ONNX Runtime's reason.
/// </summary>
public sealed class OnnxGpuTests
{
    [SkippableFact]
    public void The_cuda_provider_gives_the_cpu_providers_bertscore()
    {
        Skip.IfNot(File.Exists("/dev/nvidiactl"), "no NVIDIA GPU on this machine (/dev/nvidiactl is absent)");
        using var files = new TestOnnxEncoder(layers: 3);
        using var cuda = new OnnxTokenEmbedder(files.Settings(layer: 2) with { Provider = OnnxExecutionProvider.Cuda });
        using var cpu = new OnnxTokenEmbedder(files.Settings(layer: 2) with { Provider = OnnxExecutionProvider.Cpu });
        Assert.Equal("CUDA", cuda.ExecutionProvider);
        string[] candidates = ["The cat is playing.", "the patient has a fever", "No fever, no chest pain."];
        string[] references = ["A dog sat on the mat", "the patient has no fever.", "chest pain"];
        foreach (var (candidate, reference) in candidates.Zip(references))
        {
            var onGpu = BertScore.Compute(cuda.EmbedTokens(candidate), cuda.EmbedTokens(reference));
            var onCpu = BertScore.Compute(cpu.EmbedTokens(candidate), cpu.EmbedTokens(reference));
            Assert.Equal(onCpu.F1, onGpu.F1, 1e-6);
            Assert.Equal(onCpu.Precision, onGpu.Precision, 1e-6);
            Assert.Equal(onCpu.Recall, onGpu.Recall, 1e-6);
        }
    }
}
