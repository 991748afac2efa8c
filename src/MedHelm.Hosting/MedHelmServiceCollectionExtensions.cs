using MedHelm.Application.Agreement;
using MedHelm.Application.Datasets;
using MedHelm.Application.Diagnostics;
using MedHelm.Application.Hosting;
using MedHelm.Application.Models;
using MedHelm.Application.Options;
using MedHelm.Application.Ports;
using MedHelm.Application.Runs;
using MedHelm.Evaluation.Running;
using MedHelm.Hosting.Logging;
using MedHelm.Inference.Llama.Runtime;
using MedHelm.Storage;
using MedHelm.Storage.Postgres;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace MedHelm.Hosting;

/// <summary>What a host may set beside appsettings.json (e.g. the CLI's global <c>--db</c> and <c>--data</c>).</summary>
/// <param name="Home">The MedHelm home; null: <see cref="MedHelmHome.Resolve"/>.</param>
/// <param name="DatabaseFile">The results database file instead of Storage:DataFolder/Storage:DatabaseFile.</param>
/// <param name="DataFolder">The data folder instead of Storage:DataFolder.</param>
public sealed record MedHelmHostSettings(string? Home = null, string? DatabaseFile = null, string? DataFolder = null);

/// <summary>The composition shared by every host.</summary>
public static class MedHelmServiceCollectionExtensions
{
    /// <summary>The options class each configuration section binds to (what <see cref="ConfigurationSchema"/> checks keys against).</summary>
    public static IReadOnlyDictionary<string, Type> ConfigurationSections { get; } = new Dictionary<string, Type>(StringComparer.OrdinalIgnoreCase)
    {
        [LlamaRuntimeOptions.SectionName] = typeof(LlamaRuntimeOptions),
        [StorageOptions.SectionName] = typeof(StorageOptions),
        [DemoOptions.SectionName] = typeof(DemoOptions),
        [ModelLoaderOptions.SectionName] = typeof(ModelLoaderOptions),
        [ModelsOptionsValidator.SectionName] = typeof(Dictionary<string, LocalModelOptions>),
        [EndpointsOptions.SectionName] = typeof(EndpointsOptions),
        [JuryOptions.SectionName] = typeof(JuryOptions),
        [EhrSqlDatabaseOptions.SectionName] = typeof(EhrSqlDatabaseOptions),
        [PricingOptions.SectionName] = typeof(PricingOptions),
        [ServiceOptions.SectionName] = typeof(ServiceOptions),
        [LogFileOptions.SectionName] = typeof(LogFileOptions),
        [BertScoreOptions.SectionName] = typeof(BertScoreOptions),
        [ClusterOptions.SectionName] = typeof(ClusterOptions),
    };

    /// <summary>
    /// appsettings.json in the MedHelm home, then MEDHELM__SECTION__KEY environment variables; checked first: the file
    /// must be a regular file of valid JSON (<see cref="AppSettingsFile"/>), every key must name a setting and every
    /// value convert to its type (<see cref="ConfigurationSchema"/>).
    /// </summary>
    /// <exception cref="ConfigurationFileException">The file, a key or a value is wrong; the message names each.</exception>
    public static IConfiguration BuildMedHelmConfiguration(string home)
    {
        var file = Path.Combine(home, AppSettingsFile.FileName);
        AppSettingsFile.Check(file);
        var configuration = new ConfigurationBuilder()
            .SetBasePath(home)
            .AddJsonFile(AppSettingsFile.FileName, optional: true, reloadOnChange: false)
            .AddEnvironmentVariables("MEDHELM__")
            .Build();
        var failures = ConfigurationSchema.Check(configuration, ConfigurationSections);
        if (failures.Count > 0)
        {
            throw new ConfigurationFileException(file, $"{file} (or a MEDHELM__ environment variable): {string.Join(" ", failures)}");
        }
        return configuration;
    }

    /// <summary>
    /// Everything a host needs: options bound to their sections and validated at start (<see cref="ValidateMedHelmOptions"/>),
    /// paths, the network boundary and the model client pipeline, the model resolver and loader, the run planner and orchestrator, and the results database of Storage:Provider
    /// (SQLite by default, or PostgreSQL; opened once, on first use, and disposed with the container).
    /// </summary>
    public static IServiceCollection AddMedHelm(this IServiceCollection services, IConfiguration configuration, MedHelmHostSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        settings ??= new MedHelmHostSettings();
        var home = settings.Home ?? MedHelmHome.Resolve();
        services.AddMedHelmOptions(configuration);
        services.AddSingleton(sp => new MedHelmPaths(home, sp.GetRequiredService<IOptions<StorageOptions>>().Value, settings.DatabaseFile, settings.DataFolder));
        services.AddSingleton(sp => NetworkBoundary.Create(
            sp.GetRequiredService<IOptions<EndpointsOptions>>().Value,
            new Lazy<IAuditLog>(sp.GetRequiredService<IAuditLog>),
            sp.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>().CreateLogger("MedHelm.NetworkBoundary")));
        services.AddSingleton<IValidateOptions<ClusterOptions>>(sp => new ClusterOptionsValidator(
            sp.GetRequiredService<MedHelmPaths>().Resolve, sp.GetRequiredService<IOptions<StorageOptions>>().Value));
        services.AddSingleton<ModelClientPipeline>();
        services.AddSingleton<ModelResolver>();
        services.AddSingleton<InProcessModelLoader>();
        services.AddSingleton<IModelLoader>(sp => sp.GetRequiredService<InProcessModelLoader>());
        services.AddSingleton<IResidentModels>(sp => sp.GetRequiredService<InProcessModelLoader>());
        services.AddMetrics();
        services.AddSingleton<MedHelmMetrics>();
        services.AddSingleton<RunPlanner>();
        services.AddSingleton<JuryStep>();
        services.AddSingleton<BertScoreStep>();
        services.AddSingleton<RunOrchestrator>();
        services.AddSingleton<AgreementInputBuilder>();
        services.AddSingleton<DemoRunBuilder>();
        services.AddSingleton<DatasetImportService>();
        services.AddSingleton<Application.Access.ApiTokenService>();
        services.AddSingleton<Application.Access.AccountService>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddMedHelmModelRegistry();
        services.AddSingleton<RunQueueService>();
        services.AddSingleton<IResultsDatabaseFactory>(sp => CreateDatabaseFactory(
            sp.GetRequiredService<IOptions<StorageOptions>>().Value, sp.GetRequiredService<MedHelmPaths>(), settings.DatabaseFile));
        services.AddSingleton<IResultsDatabase>(sp =>
        {
            var paths = sp.GetRequiredService<MedHelmPaths>();
            if (!sp.GetRequiredService<IOptions<StorageOptions>>().Value.IsPostgres)
            {
                PrivateFolder.Ensure(Path.GetDirectoryName(paths.DatabasePath)!);
            }

            return sp.GetRequiredService<IResultsDatabaseFactory>().OpenAsync(paths.DatabasePath, create: true).GetAwaiter().GetResult();
        });
        services.AddSingleton(sp => new Lazy<IResultsDatabase>(sp.GetRequiredService<IResultsDatabase>));
        services.AddSingleton<IRunStore>(sp => sp.GetRequiredService<IResultsDatabase>());
        services.AddSingleton<IJuryStore>(sp => sp.GetRequiredService<IResultsDatabase>());
        services.AddSingleton<IDatasetStore>(sp => sp.GetRequiredService<IResultsDatabase>());
        services.AddSingleton<IAuditLog>(sp => sp.GetRequiredService<IResultsDatabase>());
        services.AddSingleton<ILedgerStore>(sp => sp.GetRequiredService<IResultsDatabase>());
        return services;
    }

    /// <summary>
    /// The results database of Storage:Provider: the SQLite file (the embedded default), or the PostgreSQL database of
    /// Storage:ConnectionString, its password read now from Storage:PasswordFile or Storage:PasswordVariable.
    /// </summary>
    /// <exception cref="Application.Errors.RequestValidationException">A host's SQLite file (<c>--db</c>) with the postgres provider, or an unreadable password.</exception>
    private static IResultsDatabaseFactory CreateDatabaseFactory(StorageOptions storage, MedHelmPaths paths, string? databaseFile)
    {
        if (!storage.IsPostgres)
        {
            return new SqliteResultsDatabaseFactory();
        }

        if (!string.IsNullOrEmpty(databaseFile))
        {
            throw new Application.Errors.RequestValidationException(
                $"--db names a SQLite file ({databaseFile}), but Storage:Provider is 'postgres': the results live in the database of Storage:ConnectionString.");
        }

        return new PostgresResultsDatabaseFactory(PostgresDataSourceBuilder.FromOptions(storage, paths.Resolve));
    }

    /// <summary>Binds every section to its options class; each is validated when the host starts, not mid-run.</summary>
    public static IServiceCollection AddMedHelmOptions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<LlamaRuntimeOptions>().Bind(configuration.GetSection(LlamaRuntimeOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<StorageOptions>().Bind(configuration.GetSection(StorageOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>();
        services.AddOptions<DemoOptions>().Bind(configuration.GetSection(DemoOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ModelLoaderOptions>().Bind(configuration.GetSection(ModelLoaderOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<Dictionary<string, LocalModelOptions>>().Bind(configuration.GetSection(ModelsOptionsValidator.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<Dictionary<string, LocalModelOptions>>, ModelsOptionsValidator>();
        services.AddOptions<EndpointsOptions>().Bind(configuration.GetSection(EndpointsOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<EndpointsOptions>, EndpointsOptionsValidator>();
        services.AddOptions<JuryOptions>().Bind(configuration.GetSection(JuryOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<JuryOptions>, JuryOptionsValidator>();
        services.AddOptions<PricingOptions>().Bind(configuration.GetSection(PricingOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<PricingOptions>, PricingOptionsValidator>();
        services.AddOptions<EhrSqlDatabaseOptions>().Bind(configuration.GetSection(EhrSqlDatabaseOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<BertScoreOptions>().Bind(configuration.GetSection(BertScoreOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<BertScoreOptions>, BertScoreOptionsValidator>();
        // checked only when the section is present (ClusterOptionsValidator, registered with the paths it resolves against)
        services.AddOptions<ClusterOptions>().Bind(configuration.GetSection(ClusterOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        return services;
    }

    /// <summary>
    /// Validates every options class registered with ValidateOnStart, so a bad appsettings.json fails before any work
    /// starts (a generic host does this itself when it starts).
    /// </summary>
    /// <exception cref="OptionsValidationException">A section is invalid; its failures name the fields.</exception>
    public static void ValidateMedHelmOptions(this IServiceProvider provider) =>
        provider.GetRequiredService<IAsyncStartupValidator>().ValidateAsync(CancellationToken.None).GetAwaiter().GetResult(); // the validators are synchronous
}
