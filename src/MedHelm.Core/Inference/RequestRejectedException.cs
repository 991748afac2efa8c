namespace MedHelm.Core.Inference;

/// <summary>
/// A model refused one request up front because of the request itself (it cannot fit the context, say), not because
/// the model or engine failed: other requests are unaffected, so an evaluation records the refusal for that instance
/// and goes on. The message names the cause and the remedy and never holds prompt text.
/// </summary>
public abstract class RequestRejectedException : ArgumentException
{
    protected RequestRejectedException(string message)
        : base(message)
    {
    }
}
