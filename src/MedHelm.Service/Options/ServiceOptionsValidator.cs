using System.Net;
using System.Security.Cryptography;
using MedHelm.Application.Options;
using Microsoft.Extensions.Options;

namespace MedHelm.Service.Options;

/// <summary>Checks the <c>Service</c> section when the service starts; every failure names the field.</summary>
internal sealed class ServiceOptionsValidator(Func<string, string> resolvePath) : IValidateOptions<ServiceOptions>
{
    public ValidateOptionsResult Validate(string? name, ServiceOptions options)
    {
        var failures = new List<string>();
        IReadOnlyList<Uri> urls = [];
        try
        {
            urls = options.ParsedUrls();
        }
        catch (FormatException e)
        {
            failures.Add(e.Message);
        }

        if (urls.Count == 0 && failures.Count == 0)
        {
            failures.Add("Service:Urls: at least one address is required.");
        }

        foreach (var url in urls)
        {
            if (url.Scheme is not ("http" or "https") || url.AbsolutePath != "/" || url.Query.Length > 0)
            {
                failures.Add($"Service:Urls: '{url.OriginalString}' must be http:// or https:// with a host, a port and no path.");
            }
            else if (!string.Equals(url.Host, "localhost", StringComparison.OrdinalIgnoreCase) && !IPAddress.TryParse(url.Host.Trim('[', ']'), out _))
            {
                failures.Add($"Service:Urls: '{url.OriginalString}': the host must be localhost or an IP address (0.0.0.0 for every interface).");
            }
            else if (url.Scheme == "http" && !ServiceOptions.IsLoopback(url) && !options.AllowPlainHttpBeyondLoopback)
            {
                failures.Add($"Service:Urls: '{url.OriginalString}' is plain http beyond loopback; use https with Service:CertificatePath (or set Service:AllowPlainHttpBeyondLoopback).");
            }
        }

        if (urls.Any(u => u.Scheme == "https"))
        {
            if (string.IsNullOrWhiteSpace(options.CertificatePath))
            {
                failures.Add("Service:CertificatePath: an https address needs a certificate (a PKCS#12 .pfx file).");
            }
            else
            {
                var path = resolvePath(options.CertificatePath);
                if (!File.Exists(path))
                {
                    failures.Add($"Service:CertificatePath: there is no file {path}.");
                }
                else
                {
                    try
                    {
                        using var certificate = options.LoadCertificate(path);
                        if (!certificate.HasPrivateKey)
                        {
                            failures.Add($"Service:CertificatePath: {path} holds no private key.");
                        }
                    }
                    catch (CryptographicException)
                    {
                        failures.Add($"Service:CertificatePath: {path} is not a PKCS#12 file this password opens (Service:CertificatePassword).");
                    }
                }
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
