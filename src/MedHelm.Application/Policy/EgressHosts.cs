using MedHelm.Application.Options;

namespace MedHelm.Application.Policy;

/// <summary>The hosts the network boundary lets the process reach besides loopback: those of enabled endpoints.</summary>
public static class EgressHosts
{
    /// <summary>
    /// A predicate over host names: true for the host of each configured endpoint while Endpoints:Enabled is true;
    /// false for every host otherwise.
    /// </summary>
    public static Func<string, bool> Of(EndpointsOptions endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var hosts = endpoints.Enabled
            ? endpoints.Items.Values
                .Select(e => Uri.TryCreate(e.BaseUrl, UriKind.Absolute, out var uri) ? uri.Host : null)
                .OfType<string>()
                .ToHashSet(StringComparer.OrdinalIgnoreCase)
            : [];
        return hosts.Contains;
    }
}
