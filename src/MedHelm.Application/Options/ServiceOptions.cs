using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace MedHelm.Application.Options;

/// <summary>The <c>Service</c> section: where <c>medhelm serve</c> listens, its TLS certificate and its limits
/// (here, beside the other options, so that every host knows the section; the service validates it when it starts).</summary>
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

    /// <summary>
    /// How long a stop waits, in seconds, for the running run's model calls in flight (its current batch) to finish and
    /// be stored; after that they are cancelled. Either way the run stays queued and resumes at the next start.
    /// </summary>
    [Range(1, 3600)]
    public int ShutdownSeconds { get; set; } = 30;

    /// <summary>A dashboard session (cookie) ends after this many minutes without a request (sliding).</summary>
    [Range(1, 24 * 60)]
    public int SessionIdleMinutes { get; set; } = 15;

    /// <summary>Failed logins in a row that lock an account.</summary>
    [Range(1, 100)]
    public int LoginMaxFailures { get; set; } = 5;

    /// <summary>How long a locked account refuses logins (even with the right password), in minutes.</summary>
    [Range(1, 7 * 24 * 60)]
    public int LoginLockoutMinutes { get; set; } = 15;

    /// <summary>Login attempts (POST /login) allowed per client address and minute; more get 429.</summary>
    [Range(1, 10_000)]
    public int LoginAttemptsPerMinute { get; set; } = 10;

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
