namespace MedHelm.Inference.Llama.Tests.Support;

/// <summary>IProgress that reports on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
public sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}

public sealed class SynchronousProgress(Action<float> report) : IProgress<float>
{
    public void Report(float value) => report(value);
}
