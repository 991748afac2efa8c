namespace MedHelm.Inference.OpenAI;

/// <summary>A hosted endpoint failed or answered something that is not a chat completion. Never carries prompt text.</summary>
public sealed class HostedEndpointException(string message, int? statusCode = null, Exception? inner = null) : Exception(message, inner)
{
    public int? StatusCode { get; } = statusCode;
}
