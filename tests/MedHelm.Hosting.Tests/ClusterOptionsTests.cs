using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MedHelm.Application.Options;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace MedHelm.Hosting.Tests;

/// <summary>The Cluster section: absent, nothing of the cluster is configured; present, it is checked at start field by field.</summary>
public sealed class ClusterOptionsTests
{
    private static ServiceProvider Compose(TempFolder home, string json)
    {
        home.Write("appsettings.json", json);
        var configuration = MedHelmServiceCollectionExtensions.BuildMedHelmConfiguration(home.Path);
        return new ServiceCollection().AddMedHelm(configuration, new MedHelmHostSettings(home.Path)).BuildServiceProvider();
    }

    private static IReadOnlyList<string> Failures(TempFolder home, string json)
    {
        using var provider = Compose(home, json);
        try
        {
            provider.ValidateMedHelmOptions();
            return [];
        }
        catch (OptionsValidationException e)
        {
            return [.. e.Failures];
        }
        catch (AggregateException e) when (e.InnerExceptions.All(i => i is OptionsValidationException))
        {
            return [.. e.InnerExceptions.Cast<OptionsValidationException>().SelectMany(o => o.Failures)];
        }
    }

    private static void WriteCertificate(TempFolder home, string name, string? password)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=medhelm-cluster", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        File.WriteAllBytes(home.File(name), certificate.Export(X509ContentType.Pkcs12, password));
    }

    private const string Valid = """
        {"Storage":{"Provider":"postgres","ConnectionString":"Host=10.0.0.5;Database=medhelm;Username=medhelm"},
         "Cluster":{"ClusterId":"ward-7","MembershipConnection":"10.0.0.5:6379","AdvertisedAddress":"10.0.0.7",
                    "CertificatePath":"cluster.pfx","CertificatePasswordFile":"cluster.pass"}}
        """;

    [Fact]
    public void Without_the_section_the_cluster_is_not_configured_and_nothing_is_checked()
    {
        using var home = new TempFolder();
        using var provider = Compose(home, "{}");
        provider.ValidateMedHelmOptions();
        Assert.False(provider.GetRequiredService<IOptions<ClusterOptions>>().Value.Configured);
    }

    [Fact]
    public void A_complete_section_with_its_certificate_and_password_file_passes()
    {
        using var home = new TempFolder();
        WriteCertificate(home, "cluster.pfx", "s3cret");
        home.Write("cluster.pass", "s3cret\n");

        Assert.Empty(Failures(home, Valid));
        using var provider = Compose(home, Valid);
        var options = provider.GetRequiredService<IOptions<ClusterOptions>>().Value;
        Assert.True(options.Configured);
        Assert.Equal(("ward-7", 11111, 30000, 60), (options.ClusterId, options.SiloPort, options.GatewayPort, options.ShardLeaseSeconds));
        Assert.Equal((5, 3), (options.ProbeTimeoutSeconds, options.MissedProbesLimit)); // Orleans' defaults: about 15 s to declare a server dead
    }

    [Fact]
    public void A_wrong_certificate_password_is_named()
    {
        using var home = new TempFolder();
        WriteCertificate(home, "cluster.pfx", "s3cret");
        home.Write("cluster.pass", "wrong");

        Assert.Contains(Failures(home, Valid), f => f.Contains("Cluster:CertificatePath", StringComparison.Ordinal) && f.Contains("password in Cluster:CertificatePasswordFile", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("""{"Cluster":{"ClusterId":"ward 7"}}""", "Cluster:ClusterId: 'ward 7' must be 1 to 64 letters")]
    [InlineData("""{"Cluster":{"ClusterId":"w"}}""", "Cluster:MembershipConnection: the Redis membership store's address is required")]
    [InlineData("""{"Cluster":{"ClusterId":"w","MembershipConnection":"r:6379,password=x"}}""", "put it in the file Cluster:MembershipPasswordFile names")]
    [InlineData("""{"Cluster":{"ClusterId":"w","SiloPort":30000}}""", "Cluster:GatewayPort: 30000 is also Cluster:SiloPort")]
    [InlineData("""{"Cluster":{"ClusterId":"w"}}""", "Cluster:AdvertisedAddress: '' must be the IP address")]
    [InlineData("""{"Cluster":{"ClusterId":"w","AdvertisedAddress":"0.0.0.0"}}""", "Cluster:AdvertisedAddress: 0.0.0.0 is not an address other servers can reach")]
    [InlineData("""{"Cluster":{"ClusterId":"w"}}""", "Cluster:CertificatePath: silos talk over TLS only")]
    [InlineData("""{"Cluster":{"ClusterId":"w","CertificatePath":"none.pfx"}}""", "Cluster:CertificatePath: there is no file")]
    [InlineData("""{"Cluster":{"ClusterId":"w","MembershipPasswordFile":"none.pass"}}""", "Cluster:MembershipPasswordFile: there is no file")]
    [InlineData("""{"Cluster":{"ClusterId":"w","ShardLeaseSeconds":1}}""", "ShardLeaseSeconds")]
    [InlineData("""{"Cluster":{"ClusterId":"w","ProbeTimeoutSeconds":0}}""", "ProbeTimeoutSeconds")]
    [InlineData("""{"Cluster":{"ClusterId":"w","MissedProbesLimit":11}}""", "MissedProbesLimit")]
    public void An_invalid_cluster_setting_fails_at_start_naming_the_field(string json, string expected)
    {
        using var home = new TempFolder();
        Assert.Contains(Failures(home, json), f => f.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_cluster_over_sqlite_is_refused_at_start_naming_the_provider(bool named)
    {
        var storage = named ? "\"Storage\":{\"Provider\":\"sqlite\"}," : ""; // the default provider, or named
        using var home = new TempFolder();
        WriteCertificate(home, "cluster.pfx", "s3cret");
        home.Write("cluster.pass", "s3cret\n");
        var json = "{" + storage + Valid[(Valid.IndexOf("\"Cluster\"", StringComparison.Ordinal))..];

        var failure = Assert.Single(Failures(home, json));
        Assert.StartsWith("Storage:Provider: a Cluster section needs the shared PostgreSQL store ('postgres', with Storage:ConnectionString); it is 'sqlite'", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_key_or_membership_is_refused_when_the_configuration_is_read()
    {
        using var home = new TempFolder();
        home.Write("appsettings.json", """{"Cluster":{"ClusterID":"w","Membershp":"Redis","Membership":"Postgres"}}""");

        var e = Assert.Throws<ConfigurationFileException>(() => MedHelmServiceCollectionExtensions.BuildMedHelmConfiguration(home.Path));
        Assert.Contains("unknown key 'Cluster:Membershp' (did you mean 'Membership'?)", e.Message, StringComparison.Ordinal);
        Assert.Contains("Cluster:Membership = 'Postgres' is not a valid one of Redis", e.Message, StringComparison.Ordinal);
    }
}
