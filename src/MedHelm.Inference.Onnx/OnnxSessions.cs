using Microsoft.ML.OnnxRuntime;

namespace MedHelm.Inference.Onnx;

/// <summary>Opens an ONNX Runtime session on the CUDA execution provider when asked or available, on the CPU otherwise.</summary>
internal static class OnnxSessions
{
    /// <summary>The session and the provider it runs on: "CUDA", or "CPU" (with why, where CUDA was tried).</summary>
    /// <exception cref="OnnxEncoderException">The file is not a usable ONNX model, or CUDA was required and did not load.</exception>
    public static (InferenceSession Session, string Provider) Open(string modelPath, OnnxExecutionProvider provider)
    {
        if (provider == OnnxExecutionProvider.Cpu)
        {
            return (OnCpu(modelPath), "CPU");
        }

        // where CUDA is only tried, its failure to load is reported here, not also as an error line of ONNX Runtime's own log
        var environment = OrtEnv.Instance();
        var level = environment.EnvLogLevel;
        try
        {
            if (provider == OnnxExecutionProvider.Auto)
            {
                environment.EnvLogLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL;
            }

            return (Create(modelPath, cuda: true), "CUDA");
        }
        catch (OnnxRuntimeException e) when (provider == OnnxExecutionProvider.Auto)
        {
            // no GPU or no CUDA runtime: the CPU provider (a file that is not a model fails there too, and says so)
            return (OnCpu(modelPath), $"CPU (CUDA not available: {FirstLine(e.Message)})");
        }
        catch (OnnxRuntimeException e)
        {
            throw new OnnxEncoderException(
                $"{modelPath}: no session on the CUDA execution provider ({FirstLine(e.Message)}); set BertScore:ExecutionProvider to Auto or Cpu to run on the CPU.", e);
        }
        finally
        {
            environment.EnvLogLevel = level;
        }
    }

    private static InferenceSession OnCpu(string modelPath)
    {
        try
        {
            return Create(modelPath, cuda: false);
        }
        catch (OnnxRuntimeException e)
        {
            throw new OnnxEncoderException($"{modelPath} is not a usable ONNX model: {FirstLine(e.Message)}", e);
        }
    }

    private static InferenceSession Create(string modelPath, bool cuda)
    {
        // the session copies what it needs from the options
        using var options = new SessionOptions();
        if (cuda)
        {
            options.AppendExecutionProvider_CUDA(0);
        }

        return new InferenceSession(modelPath, options);
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
