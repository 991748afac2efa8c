namespace MedHelm.Gguf.TestModels;

/// <summary>SplitMix64: a tiny, fully specified PRNG, so the same seed gives the same weights on every platform and runtime.</summary>
public sealed class DeterministicRandom
{
    private ulong _state;

    public DeterministicRandom(long seed) => _state = unchecked((ulong)seed);

    public ulong NextUInt64()
    {
        unchecked
        {
            var z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    /// <summary>Uniform in [-1, 1) with 24-bit resolution; uses only exact float arithmetic.</summary>
    public float NextSymmetric() => (NextUInt64() >> 40) * (1.0f / (1 << 23)) - 1.0f;

    /// <summary>Fills <paramref name="target"/> with uniform values in [-scale, scale).</summary>
    public void Fill(Span<float> target, float scale)
    {
        for (var i = 0; i < target.Length; i++)
        {
            target[i] = NextSymmetric() * scale;
        }
    }
}
