using MedHelm.Application.Agreement;
using MedHelm.Application.Datasets;
using MedHelm.Application.Hosting;
using MedHelm.Application.Models;
using MedHelm.Application.Ports;
using MedHelm.Application.Runs;
using MedHelm.Hosting.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace MedHelm.Hosting.Tests;

/// <summary>The one composition every host uses: what it registers, how options fail at start, where the database goes.</summary>
public sealed class CompositionTests
{
    private static ServiceProvider Compose(TempFolder home, string json = "{}", MedHelmHostSettings? settings = null)
    {
        home.Write("appsettings.json", json);
        var configuration = MedHelmServiceCollectionExtensions.BuildMedHelmConfiguration(home.Path);
        return new ServiceCollection()
            .AddMedHelm(configuration, settings ?? new MedHelmHostSettings(home.Path))
            .AddMedHelmLogging(configuration, verbose: false)
            .BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    [Fact]
    public async Task Every_service_a_host_uses_resolves_and_the_database_is_created_owner_only_in_the_data_folder()
    {
        using var home = new TempFolder();
        await using var provider = Compose(home);
        provider.ValidateMedHelmOptions();
        Assert.NotNull(provider.GetRequiredService<RunOrchestrator>());
        Assert.NotNull(provider.GetRequiredService<DemoRunBuilder>());
        Assert.NotNull(provider.GetRequiredService<AgreementInputBuilder>());
        Assert.NotNull(provider.GetRequiredService<DatasetImportService>());
        Assert.NotNull(provider.GetRequiredService<ModelRegistry>());
        Assert.IsType<InProcessModelLoader>(provider.GetRequiredService<IModelLoader>());

        var database = provider.GetRequiredService<IResultsDatabase>();
        Assert.Same(database, provider.GetRequiredService<IRunStore>());
        Assert.Same(database, provider.GetRequiredService<IJuryStore>());
        Assert.Equal(home.PathOf("data", "medhelm.db"), database.Location);
        Assert.True(File.Exists(database.Location));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(home.PathOf("data")));
        }
    }

    [Fact]
    public async Task A_host_may_point_the_database_and_the_data_folder_elsewhere()
    {
        using var home = new TempFolder();
        await using (var provider = Compose(home, settings: new MedHelmHostSettings(home.Path, DatabaseFile: home.PathOf("elsewhere", "x.db"))))
        {
            Assert.Equal(home.PathOf("elsewhere", "x.db"), provider.GetRequiredService<MedHelmPaths>().DatabasePath);
        }

        await using (var provider = Compose(home, settings: new MedHelmHostSettings(home.Path, DataFolder: home.PathOf("site"))))
        {
            var paths = provider.GetRequiredService<MedHelmPaths>();
            Assert.Equal(home.PathOf("site"), paths.DataFolder);
            Assert.Equal(home.PathOf("site", "medhelm.db"), paths.DatabasePath);
        }
    }

    [Fact]
    public async Task Storage_provider_postgres_opens_the_configured_database_and_refuses_a_sqlite_file()
    {
        var server = await PostgresTestServer.Shared;
        var database = await server.CreateDatabaseAsync("hosting");
        using var home = new TempFolder();
        var json = $$$"""{"Storage":{"Provider":"postgres","ConnectionString":"{{{server.ConnectionString(database)}}}"}}""";
        await using (var provider = Compose(home, json))
        {
            provider.ValidateMedHelmOptions();
            var store = provider.GetRequiredService<IResultsDatabase>();
            Assert.Equal($"postgresql://127.0.0.1:{server.Port}/{database}", store.Location);
            Assert.StartsWith("PostgreSQL ", store.EngineVersion, StringComparison.Ordinal);
            Assert.Empty(await store.ListRunsAsync());
            Assert.False(Directory.Exists(home.PathOf("data"))); // no SQLite file, no data folder made for it
        }

        await using (var provider = Compose(home, json, new MedHelmHostSettings(home.Path, DatabaseFile: home.PathOf("x.db"))))
        {
            var refused = Assert.Throws<Application.Errors.RequestValidationException>(() => provider.GetRequiredService<IResultsDatabase>());
            Assert.Contains("--db names a SQLite file", refused.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("""{"Models":{"big":{"File":"big.gguf","Sequences":0}}}""", "Models:big:Sequences")]
    [InlineData("""{"Jury":{"Judges":["a","a"]}}""", "Jury:Judges lists 'a' 2 times")]
    [InlineData("""{"Endpoints":{"Items":{"cloud":{"BaseUrl":"not a url","Model":"m"}}}}""", "Endpoints:Items:cloud:BaseUrl")]
    [InlineData("""{"Storage":{"DatabaseFile":"a/b.db"}}""", "must be a file name")]
    [InlineData("""{"Storage":{"Provider":"mysql"}}""", "Storage:Provider must be 'sqlite' or 'postgres'")]
    [InlineData("""{"Storage":{"Provider":"postgres"}}""", "Storage:ConnectionString must be set")]
    [InlineData("""{"Storage":{"Provider":"postgres","ConnectionString":"Host=db1;Password=x"}}""", "Storage:ConnectionString must not hold the password")]
    [InlineData("""{"ModelLoader":{"MaxLoadedModels":0}}""", "MaxLoadedModels")]
    [InlineData("""{"LogFile":{"FileSizeLimitMegabytes":0}}""", "FileSizeLimitMegabytes")]
    [InlineData("""{"Pricing":{"Currency":"USD","DeviceHourPrice":-2}}""", "Pricing:DeviceHourPrice is -2")]
    [InlineData("""{"Pricing":{"Hosted":[{"Name":"x","PromptPerMillion":1,"CompletionPerMillion":2}]}}""", "Pricing:Currency is empty")]
    [InlineData("""{"BertScore":{"ModelType":"my-clinical-bert"}}""", "BertScore:Layer must be set: bert_score has no default layer for ModelType 'my-clinical-bert'")]
    [InlineData("""{"BertScore":{"MaxTokens":2}}""", "BertScore:MaxTokens")]
    public async Task An_invalid_setting_fails_at_start_naming_the_field(string json, string expected)
    {
        using var home = new TempFolder();
        await using var provider = Compose(home, json);
        var failure = Assert.ThrowsAny<Exception>(provider.ValidateMedHelmOptions);
        var failures = failure switch
        {
            OptionsValidationException e => e.Failures,
            AggregateException a => a.InnerExceptions.OfType<OptionsValidationException>().SelectMany(e => e.Failures),
            _ => throw new Xunit.Sdk.XunitException($"unexpected {failure.GetType().Name}: {failure.Message}"),
        };
        Assert.Contains(failures, f => f.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Environment_variables_override_the_file()
    {
        using var home = new TempFolder();
        Environment.SetEnvironmentVariable("MEDHELM__Storage__DatabaseFile", "from-env.db");
        try
        {
            await using var provider = Compose(home, """{"Storage":{"DatabaseFile":"from-file.db"}}""");
            Assert.EndsWith("from-env.db", provider.GetRequiredService<MedHelmPaths>().DatabasePath, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable("MEDHELM__Storage__DatabaseFile", null);
        }
    }
}
