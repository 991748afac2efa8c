using MedHelm.Application.Errors;
using MedHelm.Application.Options;
using MedHelm.Application.Policy;
using MedHelm.Core.Catalog;

namespace MedHelm.Application.Tests.Policy;

/// <summary>Which data a hosted endpoint may receive.</summary>
public sealed class HostedDataPolicyTests
{
    private static EndpointsOptions Endpoints(bool enabled, bool patientData) => new()
    {
        Enabled = enabled,
        Items = { ["cloud"] = new EndpointOptions { BaseUrl = "https://example.invalid/v1", Model = "m", AllowPatientData = patientData } },
    };

    [Fact]
    public void Endpoints_are_off_until_an_administrator_enables_them()
    {
        var e = Assert.Throws<PolicyViolationException>(() => HostedDataPolicy.EnsureAllowed(Endpoints(false, true), "cloud", AccessTier.Public));
        Assert.Contains("Endpoints:Enabled", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(AccessTier.Gated)]
    [InlineData(AccessTier.Private)]
    public void Patient_data_needs_the_endpoints_own_permission(AccessTier tier)
    {
        var e = Assert.Throws<PolicyViolationException>(() => HostedDataPolicy.EnsureAllowed(Endpoints(true, false), "cloud", tier));
        Assert.Contains("AllowPatientData", e.Message, StringComparison.Ordinal);
        HostedDataPolicy.EnsureAllowed(Endpoints(true, true), "cloud", tier);
    }

    [Fact]
    public void Public_data_may_go_to_an_enabled_endpoint() =>
        HostedDataPolicy.EnsureAllowed(Endpoints(true, false), "cloud", AccessTier.Public);

    [Fact]
    public void An_unknown_endpoint_is_a_validation_error_naming_the_configured_ones()
    {
        var e = Assert.Throws<RequestValidationException>(() => HostedDataPolicy.EnsureAllowed(Endpoints(true, true), "other", AccessTier.Public));
        Assert.Contains("cloud", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_refusal_for_a_run_names_the_benchmark_the_endpoint_and_the_setting()
    {
        var e = Assert.Throws<PolicyViolationException>(() => HostedDataPolicy.EnsureAllowed(Endpoints(true, false), "cloud", AccessTier.Private, "ehr_sql_private"));
        Assert.Contains("benchmark 'ehr_sql_private'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'cloud'", e.Message, StringComparison.Ordinal);
        Assert.Contains("Endpoints:Items:cloud:AllowPatientData", e.Message, StringComparison.Ordinal);
    }
}
