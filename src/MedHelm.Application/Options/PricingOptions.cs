using Microsoft.Extensions.Options;

namespace MedHelm.Application.Options;

/// <summary>
/// The <c>Pricing</c> section: what an hour of the local device and a million hosted tokens cost, for the decision
/// report's cost columns (<c>docs/reports.md</c>). Nothing here is built into the code: an unset price shows as
/// "not configured", never as zero.
/// </summary>
public sealed class PricingOptions
{
    public const string SectionName = "Pricing";

    /// <summary>The currency the prices are in (a label, e.g. "USD", "EUR", "CHF").</summary>
    public string Currency { get; set; } = "";

    /// <summary>Price of one device-hour of the local hardware (amortised purchase, hosting, staff); null: not configured.</summary>
    public double? DeviceHourPrice { get; set; }

    /// <summary>Power drawn by one device under load in kW, for the optional energy cost; null: energy left out.</summary>
    public double? DevicePowerKw { get; set; }

    /// <summary>Price of one kWh; needed with <see cref="DevicePowerKw"/>.</summary>
    public double? EnergyPricePerKwh { get; set; }

    /// <summary>Hosted price lists to compare against; a hosted model evaluated under the same name is priced with its own entry.</summary>
    public List<HostedPrice> Hosted { get; set; } = [];
}

/// <summary>One hosted model's prices per million tokens.</summary>
public sealed class HostedPrice
{
    /// <summary>A name for the price list (an Endpoints name prices that endpoint's model).</summary>
    public string Name { get; set; } = "";

    /// <summary>Price per million prompt (input) tokens.</summary>
    public double PromptPerMillion { get; set; }

    /// <summary>Price per million completion (output, reasoning included) tokens.</summary>
    public double CompletionPerMillion { get; set; }
}

/// <summary>Validates the <c>Pricing</c> section and names the field.</summary>
public sealed class PricingOptionsValidator : IValidateOptions<PricingOptions>
{
    public ValidateOptionsResult Validate(string? name, PricingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        var section = PricingOptions.SectionName;
        var anyPrice = options.DeviceHourPrice is not null || options.Hosted.Count > 0;
        if (anyPrice && string.IsNullOrWhiteSpace(options.Currency))
        {
            failures.Add($"{section}:Currency is empty; name the currency the prices are in (e.g. USD).");
        }

        Check(options.DeviceHourPrice, $"{section}:DeviceHourPrice", failures);
        Check(options.DevicePowerKw, $"{section}:DevicePowerKw", failures);
        Check(options.EnergyPricePerKwh, $"{section}:EnergyPricePerKwh", failures);
        if ((options.DevicePowerKw is null) != (options.EnergyPricePerKwh is null))
        {
            failures.Add($"{section}:DevicePowerKw and {section}:EnergyPricePerKwh go together: set both for the energy cost, or neither.");
        }

        for (var i = 0; i < options.Hosted.Count; i++)
        {
            var price = options.Hosted[i];
            var field = $"{section}:Hosted:{i}";
            if (price is null || string.IsNullOrWhiteSpace(price.Name))
            {
                failures.Add($"{field}:Name is empty.");
                continue;
            }

            Check(price.PromptPerMillion, $"{field}:PromptPerMillion", failures);
            Check(price.CompletionPerMillion, $"{field}:CompletionPerMillion", failures);
        }

        foreach (var twice in options.Hosted.Where(p => p is not null && !string.IsNullOrWhiteSpace(p.Name))
                     .GroupBy(p => p.Name, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            failures.Add($"{section}:Hosted lists '{twice.Key}' {twice.Count()} times.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Check(double? value, string field, List<string> failures)
    {
        if (value is { } v && (double.IsNaN(v) || double.IsInfinity(v) || v < 0 || v > 1e6))
        {
            failures.Add($"{field} is {v}; it must be a number from 0 to 1000000.");
        }
    }
}
