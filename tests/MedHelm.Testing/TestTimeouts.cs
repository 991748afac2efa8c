using System.Globalization;

namespace MedHelm.Testing;

/// <summary>
/// Time limits of tests that wait for a process or a condition. Each base limit is sized for a 2-core development
/// machine; on a slower or busier one set <see cref="FactorVariable"/> (for example to 3) to stretch them all.
/// </summary>
public static class TestTimeouts
{
    public const string FactorVariable = "MEDHELM_TEST_TIMEOUT_FACTOR";

    /// <summary>The longest wait a <see cref="CancellationTokenSource"/> or <see cref="Task.WaitAsync(TimeSpan)"/> accepts.</summary>
    private static readonly TimeSpan Longest = TimeSpan.FromMilliseconds(int.MaxValue - 1);

    /// <summary>The factor from <see cref="FactorVariable"/>, 1 when it is not set.</summary>
    public static double Factor => ParseFactor(Environment.GetEnvironmentVariable(FactorVariable));

    /// <summary><paramref name="timeout"/> times <see cref="Factor"/>.</summary>
    public static TimeSpan Scale(TimeSpan timeout) => Scale(timeout, Factor);

    /// <summary><paramref name="timeout"/> times <paramref name="factor"/>, at most about 24 days (the longest wait .NET accepts).</summary>
    public static TimeSpan Scale(TimeSpan timeout, double factor)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(timeout.Ticks, nameof(timeout));
        var ticks = timeout.Ticks * factor;
        return ticks >= Longest.Ticks ? Longest : TimeSpan.FromTicks((long)Math.Ceiling(ticks));
    }

    /// <summary>The factor <paramref name="value"/> (the variable's text) names: unset or blank is 1; otherwise a positive number such as 2 or 1.5.</summary>
    public static double ParseFactor(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return 1;
        }

        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var factor) || !double.IsFinite(factor) || factor <= 0)
        {
            throw new InvalidOperationException(
                $"{FactorVariable}='{value}' is not a valid timeout factor: use a positive number such as 2 or 1.5 (it multiplies the tests' time limits), or unset it for 1.");
        }

        return factor;
    }
}
