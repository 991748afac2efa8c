using MedHelm.Application.Options;

namespace MedHelm.Application.Reports.Decision;

/// <summary>
/// What one model (or judge) used on one benchmark, measured: tokens summed over the stored completions, wall time from
/// the run's <c>benchmark_evaluated</c>/<c>jury_rated</c> audit events.
/// </summary>
/// <param name="Model">The model (or judge).</param>
/// <param name="Benchmark">The benchmark.</param>
/// <param name="Local">A local model (device time) rather than a hosted endpoint.</param>
/// <param name="Instances">Instances with a stored result.</param>
/// <param name="Computed">Of those, computed by the runs in the report (the rest were reused from the ledger).</param>
/// <param name="PromptTokens">Prompt tokens (all instances).</param>
/// <param name="CompletionTokens">Answer tokens (all instances).</param>
/// <param name="ReasoningTokens">Reasoning tokens (all instances; 0 when none were recorded).</param>
/// <param name="MaxOutputTokens">Instances × the benchmark's output limit: what MedHELM's cost estimate charges as output.</param>
/// <param name="WallSeconds">Measured wall time of the segments, or null when no run in the report measured it.</param>
/// <param name="Devices">Devices the local model held while it ran (1 for CPU).</param>
public sealed record Usage(
    string Model, string Benchmark, bool Local, int Instances, int Computed, long PromptTokens, long CompletionTokens, long ReasoningTokens,
    long MaxOutputTokens, double? WallSeconds, int Devices)
{
    /// <summary>Device-seconds: wall seconds × devices for a local model; null for a hosted one or when not measured.</summary>
    public double? DeviceSeconds => Local && WallSeconds is { } w ? w * Devices : null;

    /// <summary>Generated tokens (answer + reasoning) per wall second, or null when not measured.</summary>
    public double? TokensPerSecond => WallSeconds is > 0 ? (CompletionTokens + ReasoningTokens) / WallSeconds.Value : null;

    /// <summary>The sum of two usages of the same model (benchmark "all"); wall time only when both were measured.</summary>
    public Usage Add(Usage other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return this with
        {
            Benchmark = "all",
            Instances = Instances + other.Instances,
            Computed = Computed + other.Computed,
            PromptTokens = PromptTokens + other.PromptTokens,
            CompletionTokens = CompletionTokens + other.CompletionTokens,
            ReasoningTokens = ReasoningTokens + other.ReasoningTokens,
            MaxOutputTokens = MaxOutputTokens + other.MaxOutputTokens,
            WallSeconds = WallSeconds is { } a && other.WallSeconds is { } b ? a + b : null,
        };
    }
}

/// <summary>What the same tokens cost at one hosted price list.</summary>
/// <param name="PriceList">The <c>Pricing:Hosted</c> entry.</param>
/// <param name="Estimated">MedHELM's estimate: prompt tokens + instances × maximum output tokens (an upper bound).</param>
/// <param name="Actual">The tokens actually used: prompt + answer + reasoning.</param>
public sealed record HostedCost(string PriceList, double Estimated, double Actual);

/// <summary>The cost of one <see cref="Usage"/>.</summary>
/// <param name="Usage">What was used.</param>
/// <param name="Device">Device-hours × <see cref="PricingOptions.DeviceHourPrice"/>; null when not local, not measured or not configured.</param>
/// <param name="Energy">Device-hours × kW × price per kWh; null when not configured or not measured.</param>
/// <param name="Hosted">The same tokens at each configured hosted price list.</param>
/// <param name="Own">A hosted model priced with its own list (the entry named like it); null otherwise.</param>
public sealed record Cost(Usage Usage, double? Device, double? Energy, IReadOnlyList<HostedCost> Hosted, HostedCost? Own)
{
    /// <summary>What running it cost: device + energy for a local model, the actual tokens at its own list for a hosted one; null when unknown.</summary>
    public double? Total => Usage.Local
        ? Device is { } d ? d + (Energy ?? 0) : null
        : Own?.Actual;
}

/// <summary>Prices <see cref="Usage"/> with the configured <see cref="PricingOptions"/>; a missing price gives null, never zero.</summary>
public static class CostModel
{
    /// <summary>The cost of <paramref name="usage"/>.</summary>
    public static Cost Price(Usage usage, PricingOptions pricing)
    {
        ArgumentNullException.ThrowIfNull(usage);
        ArgumentNullException.ThrowIfNull(pricing);
        var hours = usage.DeviceSeconds is { } s ? s / 3600.0 : (double?)null;
        var device = hours is { } h && pricing.DeviceHourPrice is { } rate ? h * rate : (double?)null;
        var energy = hours is { } e && pricing.DevicePowerKw is { } kw && pricing.EnergyPricePerKwh is { } kwh ? e * kw * kwh : (double?)null;
        var hosted = pricing.Hosted.Select(p => Hosted(usage, p)).ToArray();
        var own = usage.Local ? null : hosted.FirstOrDefault(h => string.Equals(h.PriceList, usage.Model, StringComparison.Ordinal));
        return new Cost(usage, device, energy, hosted, own);
    }

    /// <summary>The tokens of <paramref name="usage"/> at <paramref name="price"/>: MedHELM's estimate and the actual use.</summary>
    public static HostedCost Hosted(Usage usage, HostedPrice price)
    {
        ArgumentNullException.ThrowIfNull(usage);
        ArgumentNullException.ThrowIfNull(price);
        var prompt = usage.PromptTokens * price.PromptPerMillion / 1e6;
        return new HostedCost(
            price.Name,
            prompt + usage.MaxOutputTokens * price.CompletionPerMillion / 1e6,
            prompt + (usage.CompletionTokens + usage.ReasoningTokens) * price.CompletionPerMillion / 1e6);
    }

    /// <summary>Cost per point (1/100) of the macro average, or null when either is unknown or the average is zero.</summary>
    public static double? PerPoint(double? cost, double? macroAverage) =>
        cost is { } c && macroAverage is > 0 ? c / (macroAverage.Value * 100) : null;
}
