namespace MedHelm.Inference.Onnx;

/// <summary>The ONNX encoder or its vocabulary cannot be used for BERTScore; the message names the file and what is wrong.</summary>
public sealed class OnnxEncoderException : Exception
{
    public OnnxEncoderException()
    {
    }

    public OnnxEncoderException(string message)
        : base(message)
    {
    }

    public OnnxEncoderException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
