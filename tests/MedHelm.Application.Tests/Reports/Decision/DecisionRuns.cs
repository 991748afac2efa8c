using System.Globalization;
using MedHelm.Application.Options;
using MedHelm.Application.Runs;
using MedHelm.Application.Tests.Support;

namespace MedHelm.Application.Tests.Reports.Decision;

/// <summary>
/// Real runs for the decision report: the orchestrator over a temporary SQLite file with scripted models — two models
/// on a closed (pubmed_qa) and an open (medication_qa) benchmark, two judges that disagree a little.
/// </summary>
public static class DecisionRuns
{
    public const string Closed = "pubmed_qa";
    public const string Open = "medication_qa";

    /// <summary>Prices that make the arithmetic visible: one currency unit per device-second and per token.</summary>
    public static PricingOptions UnitPrices { get; } = new()
    {
        Currency = "CHF",
        DeviceHourPrice = 3600,
        DevicePowerKw = 1,
        EnergyPricePerKwh = 3600,
        Hosted = [new HostedPrice { Name = "unit", PromptPerMillion = 1_000_000, CompletionPerMillion = 1_000_000 }],
    };

    /// <summary>Runs "strong" (always "yes", a long answer) and "weak" (always "no") on both benchmarks with two judges, as run <paramref name="runId"/>.</summary>
    public static async Task RunTwoModelsAsync(RunHarness harness, string runId = "decision", int instances = 4)
    {
        var strong = harness.Model("strong", seed: 1);
        var weak = harness.Model("weak", seed: 2);
        var first = harness.Model("judge-a", seed: 3);
        var second = harness.Model("judge-b", seed: 4);
        harness.Loader.With("strong", Scripted.Chat((prompt, _) => prompt.Contains("medication", StringComparison.OrdinalIgnoreCase) ? "Take it with food, twice a day." : "yes"));
        harness.Loader.With("weak", Scripted.Chat((_, _) => "no"));
        harness.Loader.With("judge-a", Scripted.Chat((_, call) => Verdict(3 + call % 3)));
        harness.Loader.With("judge-b", Scripted.Chat((_, call) => Verdict(2 + call % 4)));
        await harness.RunAsync(new RunRequest([Closed, Open], null, [strong, weak], [first, second], instances, runId, Samples: true));
    }

    /// <summary>A verdict on the standard criteria, every criterion rated <paramref name="score"/>.</summary>
    public static string Verdict(int score)
    {
        var s = Math.Clamp(score, 1, 5).ToString(CultureInfo.InvariantCulture);
        return $$$"""{"accuracy": {"score": {{{s}}}, "explanation": "rated {{{s}}} for accuracy"}, "completeness": {"score": {{{s}}}, "explanation": "complete enough"}, "clarity": {"score": {{{s}}}, "explanation": "clear"}}""";
    }
}
