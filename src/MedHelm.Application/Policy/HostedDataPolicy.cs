using MedHelm.Application.Errors;
using MedHelm.Application.Options;
using MedHelm.Core.Catalog;

namespace MedHelm.Application.Policy;

/// <summary>Decides whether a hosted endpoint may receive a benchmark's data.</summary>
public static class HostedDataPolicy
{
    /// <exception cref="PolicyViolationException">Endpoints are disabled, or the data is not public and the endpoint may not see patient data.</exception>
    public static void EnsureAllowed(EndpointsOptions endpoints, string name, AccessTier tier)
    {
        if (!endpoints.Enabled)
        {
            throw new PolicyViolationException(
                $"'{name}' is a hosted endpoint, and hosted endpoints are disabled on this appliance (an administrator sets Endpoints:Enabled).");
        }

        if (!endpoints.Items.TryGetValue(name, out var endpoint))
        {
            throw new RequestValidationException($"'{name}' is not an endpoint in appsettings.json (configured: {string.Join(", ", endpoints.Items.Keys)}).");
        }

        if (tier != AccessTier.Public && !endpoint.AllowPatientData)
        {
            throw new PolicyViolationException(
                $"The endpoint '{name}' may not receive {tier.ToString().ToLowerInvariant()} data (Endpoints:Items:{name}:AllowPatientData is false).");
        }
    }
}
