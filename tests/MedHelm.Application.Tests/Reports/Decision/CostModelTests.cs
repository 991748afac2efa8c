using MedHelm.Application.Options;
using MedHelm.Application.Reports.Decision;

namespace MedHelm.Application.Tests.Reports.Decision;

/// <summary>The cost arithmetic and the validation of the Pricing section.</summary>
public sealed class CostModelTests
{
    private static readonly PricingOptions Prices = new()
    {
        Currency = "USD",
        DeviceHourPrice = 2.0,
        DevicePowerKw = 0.5,
        EnergyPricePerKwh = 0.3,
        Hosted = [new HostedPrice { Name = "big", PromptPerMillion = 3, CompletionPerMillion = 15 }],
    };

    private static Usage Local(double? wall = 1800, int devices = 2) =>
        new("m", "b", Local: true, Instances: 100, Computed: 100, PromptTokens: 200_000, CompletionTokens: 20_000, ReasoningTokens: 5_000, MaxOutputTokens: 100_000, wall, devices);

    [Fact]
    public void Local_cost_is_device_hours_times_the_rate_plus_energy_and_hosted_is_tokens_times_prices()
    {
        var cost = CostModel.Price(Local(), Prices);
        Assert.Equal(3600, cost.Usage.DeviceSeconds); // 1,800 s × 2 devices
        Assert.Equal(2.0, cost.Device!.Value, 12); // 1 device-hour × 2.0
        Assert.Equal(0.15, cost.Energy!.Value, 12); // 1 h × 0.5 kW × 0.3
        Assert.Equal(2.15, cost.Total!.Value, 12);
        var hosted = Assert.Single(cost.Hosted);
        Assert.Equal(0.6 + 1.5, hosted.Estimated, 12); // 0.2 M prompt × 3 + 0.1 M max output × 15
        Assert.Equal(0.6 + 0.375, hosted.Actual, 12); // (20k + 5k reasoning) × 15 / 1 M
        Assert.Null(cost.Own);
        Assert.Equal(25_000 / 1800.0, cost.Usage.TokensPerSecond!.Value, 12);
    }

    [Fact]
    public void Unknown_time_or_price_gives_no_cost_and_a_hosted_model_is_priced_with_its_own_list()
    {
        Assert.Null(CostModel.Price(Local(wall: null), Prices).Total);
        Assert.Null(CostModel.Price(Local(), new PricingOptions()).Total);
        var hosted = CostModel.Price(Local() with { Model = "big", Local = false }, Prices);
        Assert.Null(hosted.Usage.DeviceSeconds);
        Assert.Equal(hosted.Hosted[0].Actual, hosted.Total);
        Assert.Equal(0.05, CostModel.PerPoint(2.0, 0.4)!.Value, 12);
        Assert.Null(CostModel.PerPoint(2.0, 0));
        Assert.Null(CostModel.PerPoint(null, 0.4));
    }

    [Fact]
    public void Usage_adds_up_and_keeps_time_only_when_both_were_measured()
    {
        var sum = Local().Add(Local(wall: 600));
        Assert.Equal((200, 400_000L, 2400.0), (sum.Instances, sum.PromptTokens, sum.WallSeconds!.Value));
        Assert.Null(Local().Add(Local(wall: null)).WallSeconds);
    }

    [Fact]
    public void The_pricing_section_is_validated_field_by_field()
    {
        var validator = new PricingOptionsValidator();
        Assert.True(validator.Validate(null, Prices).Succeeded);
        Assert.True(validator.Validate(null, new PricingOptions()).Succeeded);
        var bad = new PricingOptions
        {
            DeviceHourPrice = -1,
            DevicePowerKw = 1,
            Hosted = [new HostedPrice { Name = "x", PromptPerMillion = double.NaN }, new HostedPrice { Name = "x" }, new HostedPrice()],
        };
        var failures = validator.Validate(null, bad).Failures!.ToArray();
        Assert.Contains(failures, f => f.StartsWith("Pricing:Currency is empty", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Pricing:DeviceHourPrice is -1", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("DevicePowerKw and Pricing:EnergyPricePerKwh go together", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Pricing:Hosted:0:PromptPerMillion is NaN", StringComparison.Ordinal));
        Assert.Contains(failures, f => f == "Pricing:Hosted lists 'x' 2 times.");
        Assert.Contains(failures, f => f == "Pricing:Hosted:2:Name is empty.");
    }
}
