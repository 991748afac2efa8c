using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace MedHelm.Application.Options;

/// <summary>
/// Checks the <c>Cluster</c> section when a host starts, when it is present; every failure names the field. The
/// certificate is opened here (with its password file) so that a silo that could not join fails before it starts.
/// </summary>
/// <param name="resolvePath">Resolves a configured path (relative paths under the MedHelm home).</param>
/// <param name="storage">The host's Storage section: a cluster shares one PostgreSQL database, so it must be <c>postgres</c>.</param>
public sealed partial class ClusterOptionsValidator(Func<string, string> resolvePath, StorageOptions storage) : IValidateOptions<ClusterOptions>
{
    public ValidateOptionsResult Validate(string? name, ClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Configured)
        {
            return ValidateOptionsResult.Success;
        }
        var failures = new List<string>();
        if (!storage.IsPostgres)
        {
            failures.Add(
                $"Storage:Provider: a Cluster section needs the shared PostgreSQL store ('{StorageOptions.Postgres}', with Storage:ConnectionString); " +
                $"it is '{storage.Provider}', and each server's own SQLite file would not share the cluster's results.");
        }
        if (string.IsNullOrWhiteSpace(options.ClusterId) || !ClusterIdPattern().IsMatch(options.ClusterId))
        {
            failures.Add($"Cluster:ClusterId: '{options.ClusterId}' must be 1 to 64 letters, digits, '.', '-' or '_' (the same on every server of the cluster).");
        }
        if (string.IsNullOrWhiteSpace(options.MembershipConnection))
        {
            failures.Add($"Cluster:MembershipConnection: the {options.Membership} membership store's address is required (e.g. 10.0.0.5:6379).");
        }
        else if (options.MembershipConnection.Contains("password=", StringComparison.OrdinalIgnoreCase))
        {
            failures.Add("Cluster:MembershipConnection holds a password; put it in the file Cluster:MembershipPasswordFile names.");
        }
        if (options.SiloPort == options.GatewayPort)
        {
            failures.Add($"Cluster:GatewayPort: {options.GatewayPort} is also Cluster:SiloPort; they must differ.");
        }
        if (string.IsNullOrWhiteSpace(options.AdvertisedAddress) || !IPAddress.TryParse(options.AdvertisedAddress, out var address))
        {
            failures.Add($"Cluster:AdvertisedAddress: '{options.AdvertisedAddress}' must be the IP address the other servers reach this one at.");
        }
        else if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
        {
            failures.Add($"Cluster:AdvertisedAddress: {options.AdvertisedAddress} is not an address other servers can reach; name this server's own.");
        }
        CheckReadableFile("Cluster:MembershipPasswordFile", options.MembershipPasswordFile, failures);
        CheckCertificate(options, failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>The password in <paramref name="file"/> (its first line), or null when no file is configured.</summary>
    public static string? ReadSecret(string? file) => file is null ? null : File.ReadLines(file).FirstOrDefault()?.TrimEnd('\r') ?? "";

    /// <summary>Opens the configured certificate (its password from Cluster:CertificatePasswordFile).</summary>
    public static X509Certificate2 LoadCertificate(string path, string? passwordFile) =>
        X509CertificateLoader.LoadPkcs12FromFile(path, ReadSecret(passwordFile));

    private void CheckCertificate(ClusterOptions options, List<string> failures)
    {
        if (string.IsNullOrWhiteSpace(options.CertificatePath))
        {
            failures.Add("Cluster:CertificatePath: silos talk over TLS only; a PKCS#12 (.pfx) certificate shared by the cluster's servers is required.");
            return;
        }
        var path = resolvePath(options.CertificatePath);
        if (!File.Exists(path))
        {
            failures.Add($"Cluster:CertificatePath: there is no file {path}.");
            return;
        }
        if (!CheckReadableFile("Cluster:CertificatePasswordFile", options.CertificatePasswordFile, failures))
        {
            return;
        }
        try
        {
            using var certificate = LoadCertificate(path, options.CertificatePasswordFile is null ? null : resolvePath(options.CertificatePasswordFile));
            if (!certificate.HasPrivateKey)
            {
                failures.Add($"Cluster:CertificatePath: {path} holds no private key.");
            }
        }
        catch (CryptographicException)
        {
            failures.Add($"Cluster:CertificatePath: {path} is not a PKCS#12 file that the password in Cluster:CertificatePasswordFile opens.");
        }
    }

    private bool CheckReadableFile(string field, string? file, List<string> failures)
    {
        if (file is null)
        {
            return true;
        }
        var path = resolvePath(file);
        if (!File.Exists(path))
        {
            failures.Add($"{field}: there is no file {path}.");
            return false;
        }
        return true;
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex ClusterIdPattern();
}
