using MedHelm.Application.Options;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using MedHelm.Application.Ports;
using MedHelm.Service.Options;
using MedHelm.Service.Tests.Support;

namespace MedHelm.Service.Tests;

public sealed class ServiceOptionsTests
{
    private static IReadOnlyList<string> Failures(ServiceOptions options, string? home = null)
    {
        var result = new ServiceOptionsValidator(p => Path.GetFullPath(Path.Combine(home ?? Path.GetTempPath(), p))).Validate(null, options);
        return result.Failed ? result.Failures.ToArray() : [];
    }

    [Fact]
    public void The_defaults_listen_on_loopback_over_http()
    {
        var options = new ServiceOptions();
        Assert.Empty(Failures(options));
        Assert.All(options.ParsedUrls(), u => Assert.True(ServiceOptions.IsLoopback(u)));
    }

    [Theory]
    [InlineData("http://0.0.0.0:5180", "plain http beyond loopback")]
    [InlineData("http://server.example:5180", "localhost or an IP address")]
    [InlineData("https://127.0.0.1:5443", "Service:CertificatePath: an https address needs a certificate")]
    [InlineData("ftp://127.0.0.1:21", "must be http:// or https://")]
    [InlineData("http://127.0.0.1:5180/api", "no path")]
    [InlineData("not a url", "is not an absolute URL")]
    public void A_bad_address_is_refused_naming_the_field(string urls, string expected)
    {
        var failures = Failures(new ServiceOptions { Urls = urls });
        Assert.Contains(failures, f => f.Contains(expected, StringComparison.Ordinal) && f.StartsWith("Service:", StringComparison.Ordinal));
    }

    [Fact]
    public void Https_needs_a_readable_certificate_with_its_password()
    {
        using var folder = new TempFolder("medhelm-cert-");
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        File.WriteAllBytes(folder.File("service.pfx"), certificate.Export(X509ContentType.Pfx, "secret"));

        var good = new ServiceOptions { Urls = "https://0.0.0.0:5443", CertificatePath = "service.pfx", CertificatePassword = "secret" };
        Assert.Empty(Failures(good, folder.Path));
        Assert.Contains(Failures(new ServiceOptions { Urls = good.Urls, CertificatePath = "service.pfx", CertificatePassword = "wrong" }, folder.Path), f => f.Contains("password", StringComparison.Ordinal));
        Assert.Contains(Failures(new ServiceOptions { Urls = good.Urls, CertificatePath = "missing.pfx" }, folder.Path), f => f.Contains("there is no file", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Readiness_reports_the_database_the_runtime_and_the_configured_models()
    {
        await using var service = new TestService();
        var viewer = await service.ClientAsync(AccessRole.Viewer);
        var ready = await viewer.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var checks = (await ready.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()!).ToArray();
        Assert.Equal(["database", "runtime", "models"], checks);
        Assert.Equal(HttpStatusCode.OK, (await service.Anonymous().GetAsync("/health/live")).StatusCode);
    }
}
