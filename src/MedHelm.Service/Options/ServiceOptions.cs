using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;

namespace MedHelm.Service.Options;

/// <summary>The <c>Service</c> section: where <c>medhelm serve</c> listens, its TLS certificate and its limits.</summary>
public sealed class ServiceOptions
{
    /// <summary>The section name.</summary>
    public const string SectionName = "Service";

    /// <summary>Addresses to listen on, separated by ';' (http or https, with a port). Default: loopback only.</summary>
    public string Urls { get; set; } = "http://127.0.0.1:5180";

    /// <summary>A PKCS#12 (.pfx) certificate for the https addresses (relative paths under the MedHelm home).</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The certificate's password, if it has one (better: MEDHELM__Service__CertificatePassword).</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>Largest dataset upload (the whole multipart request), in bytes.</summary>
    [Range(1024L, 64L * 1024 * 1024 * 1024)]
    public long MaxUploadBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>The folder models are registered from (relative paths under the MedHelm home); files outside it are refused.</summary>
    [Required]
    public string ModelFolder { get; set; } = "models";

    /// <summary>Allow plain http on an address other than loopback (off: such an address must be https).</summary>
    public bool AllowPlainHttpBeyondLoopback { get; set; }

    /// <summary>How often the run queue worker looks for work when nothing woke it, in seconds.</summary>
    [Range(1, 3600)]
    public int QueuePollSeconds { get; set; } = 5;

    /// <summary>The <see cref="Urls"/>, parsed.</summary>
    public IReadOnlyList<Uri> ParsedUrls() =>
        Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) ? uri : throw new FormatException($"Service:Urls: '{u}' is not an absolute URL."))
            .ToArray();

    /// <summary>True for a loopback host (127.0.0.0/8, ::1, localhost).</summary>
    public static bool IsLoopback(Uri url) =>
        string.Equals(url.Host, "localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(url.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    /// <summary>Loads the configured certificate.</summary>
    public X509Certificate2 LoadCertificate(string path) => X509CertificateLoader.LoadPkcs12FromFile(path, CertificatePassword);
}

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
