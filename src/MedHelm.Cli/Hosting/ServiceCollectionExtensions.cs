using MedHelm.Evaluation.Running;
using MedHelm.Inference.Llama.Runtime;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serilog;
using Serilog.Events;

namespace MedHelm.Cli.Hosting;

/// <summary>Composition of the CLI host: configuration, validated options, logging.</summary>
internal static class ServiceCollectionExtensions
{
    /// <summary>appsettings.json in the MedHelm home, then MEDHELM__SECTION__KEY environment variables.</summary>
    public static IConfiguration BuildMedHelmConfiguration(string home) =>
        new ConfigurationBuilder()
            .SetBasePath(home)
            .AddJsonFile("appsettings.json", optional: true, reloadOnChange: false)
            .AddEnvironmentVariables("MEDHELM__")
            .Build();

    /// <summary>Binds every section to its options class and validates it when the host starts, not mid-run.</summary>
    public static IServiceCollection AddMedHelmOptions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<LlamaRuntimeOptions>().Bind(configuration.GetSection(LlamaRuntimeOptions.SectionName)).ValidateDataAnnotations();
        services.AddOptions<StorageOptions>().Bind(configuration.GetSection(StorageOptions.SectionName)).ValidateDataAnnotations();
        services.AddOptions<DemoOptions>().Bind(configuration.GetSection(DemoOptions.SectionName)).ValidateDataAnnotations();
        services.AddOptions<Dictionary<string, LocalModelOptions>>().Bind(configuration.GetSection(ModelsOptionsValidator.SectionName));
        services.AddSingleton<IValidateOptions<Dictionary<string, LocalModelOptions>>, ModelsOptionsValidator>();
        services.AddOptions<EndpointsOptions>().Bind(configuration.GetSection(EndpointsOptions.SectionName));
        services.AddSingleton<IValidateOptions<EndpointsOptions>, EndpointsOptionsValidator>();
        services.AddOptions<JuryOptions>().Bind(configuration.GetSection(JuryOptions.SectionName));
        services.AddSingleton<IValidateOptions<JuryOptions>, JuryOptionsValidator>();
        services.AddOptions<EhrSqlDatabaseOptions>().Bind(configuration.GetSection(EhrSqlDatabaseOptions.SectionName)).ValidateDataAnnotations();
        return services;
    }

    /// <summary>Serilog to stderr (stdout stays for results) at the configured level. Messages never carry patient text.</summary>
    public static IServiceCollection AddMedHelmLogging(this IServiceCollection services, IConfiguration configuration, bool verbose)
    {
        var serilog = new LoggerConfiguration()
            .MinimumLevel.Is(verbose ? LogEventLevel.Debug : LogEventLevel.Warning)
            .WriteTo.Console(
                standardErrorFromLevel: LogEventLevel.Verbose,
                outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}")
            .CreateLogger();
        services.AddLogging(b => b.ClearProviders().AddSerilog(serilog, dispose: true));
        return services;
    }

    /// <summary>Resolves every options class once so a bad appsettings.json fails before any work starts.</summary>
    public static void ValidateMedHelmOptions(this IServiceProvider provider)
    {
        _ = provider.GetRequiredService<IOptions<LlamaRuntimeOptions>>().Value;
        _ = provider.GetRequiredService<IOptions<StorageOptions>>().Value;
        _ = provider.GetRequiredService<IOptions<DemoOptions>>().Value;
        _ = provider.GetRequiredService<IOptions<Dictionary<string, LocalModelOptions>>>().Value;
        _ = provider.GetRequiredService<IOptions<EndpointsOptions>>().Value;
        _ = provider.GetRequiredService<IOptions<JuryOptions>>().Value;
        _ = provider.GetRequiredService<IOptions<EhrSqlDatabaseOptions>>().Value;
    }
}
