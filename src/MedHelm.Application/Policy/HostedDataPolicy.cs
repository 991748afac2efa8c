using MedHelm.Application.Errors;
using MedHelm.Application.Options;
using MedHelm.Core.Catalog;

namespace MedHelm.Application.Policy;

/// <summary>Decides whether a hosted endpoint may receive a benchmark's data.</summary>
public static class HostedDataPolicy
{
    /// <param name="endpoints">The Endpoints section.</param>
    /// <param name="name">The endpoint.</param>
    /// <param name="tier">The access tier of the data it would receive.</param>
    /// <param name="benchmark">The benchmark whose data it is, named in a refusal (null: none named).</param>
    /// <exception cref="PolicyViolationException">Endpoints are disabled, or the data is not public and the endpoint may not see patient data.</exception>
    public static void EnsureAllowed(EndpointsOptions endpoints, string name, AccessTier tier, string? benchmark = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var of = benchmark is null ? "" : $" (benchmark '{benchmark}')";
        if (!endpoints.Enabled)
        {
            throw new PolicyViolationException(
                $"'{name}' is a hosted endpoint{of}, and hosted endpoints are disabled on this appliance (an administrator sets Endpoints:Enabled).");
        }

        if (!endpoints.Items.TryGetValue(name, out var endpoint))
        {
            throw new RequestValidationException($"'{name}' is not an endpoint in appsettings.json (configured: {string.Join(", ", endpoints.Items.Keys)}).");
        }

        if (tier != AccessTier.Public && !endpoint.AllowPatientData)
        {
            throw new PolicyViolationException(
                $"The endpoint '{name}' may not receive {tier.ToString().ToLowerInvariant()} data{of} (Endpoints:Items:{name}:AllowPatientData is false).");
        }
    }
}
