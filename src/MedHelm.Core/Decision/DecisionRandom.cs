using System.Text;

namespace MedHelm.Core.Decision;

/// <summary>
/// The bootstrap's random numbers: xoshiro256** (Blackman and Vigna, 2018) with its 256-bit state filled by SplitMix64
/// from a 64-bit seed, and Lemire's unbiased bounded draw. Written here rather than taken from
/// <see cref="System.Random"/> so that a seed gives the same intervals on every runtime version and platform.
/// <see cref="ForStream"/> derives an independent stream per benchmark and sub-run (seed mixed with the FNV-1a hash
/// of the key), so one benchmark's resamples do not depend on which other benchmarks or models are in the table.
/// </summary>
public sealed class DecisionRandom
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>A generator seeded with <paramref name="seed"/>.</summary>
    public DecisionRandom(ulong seed)
    {
        var x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>A generator with the given 256-bit state (not all zero), for checking against reference vectors.</summary>
    internal DecisionRandom(ulong s0, ulong s1, ulong s2, ulong s3)
    {
        if ((s0 | s1 | s2 | s3) == 0)
        {
            throw new ArgumentException("The state must not be all zero.");
        }

        (_s0, _s1, _s2, _s3) = (s0, s1, s2, s3);
    }

    /// <summary>A generator for the stream named <paramref name="key"/> under <paramref name="seed"/>.</summary>
    public static DecisionRandom ForStream(ulong seed, string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var hash = 14695981039346656037UL; // FNV-1a 64 over the UTF-8 bytes
        foreach (var b in Encoding.UTF8.GetBytes(key))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        var mixed = seed ^ hash;
        return new DecisionRandom(SplitMix64(ref mixed));
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        var result = RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform integer in [0, <paramref name="bound"/>) without modulo bias (Lemire 2019).</summary>
    public int NextInt(int bound)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bound);
        var range = (ulong)bound;
        var product = Math.BigMul(NextUInt64(), range, out var low);
        if (low < range)
        {
            var threshold = unchecked(0UL - range) % range;
            while (low < threshold)
            {
                product = Math.BigMul(NextUInt64(), range, out low);
            }
        }

        return (int)product;
    }

    /// <summary>A uniform double in [0, 1) (the top 53 bits).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    internal static ulong SplitMix64(ref ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        var z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}
