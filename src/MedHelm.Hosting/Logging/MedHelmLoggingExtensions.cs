using System.Globalization;
using MedHelm.Application.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;
using Serilog.Settings.Configuration;

namespace MedHelm.Hosting.Logging;

/// <summary>
/// The logging every host composes (CLI and service alike): Serilog behind Microsoft.Extensions.Logging, so application
/// code keeps writing through <see cref="Microsoft.Extensions.Logging.ILogger{TCategoryName}"/>. Two sinks: the console
/// (stderr, so stdout stays for results; warnings and errors, or debug with --verbose) and a rolling compact-JSON file
/// under the MedHelm home (<see cref="LogFileOptions"/>). The optional <c>Serilog</c> section sets levels and overrides.
/// </summary>
public static class MedHelmLoggingExtensions
{
    /// <summary>The console's line format.</summary>
    public const string ConsoleTemplate = "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}";

    /// <summary>The log file's name before its date (and a roll number once a day's file reaches its size limit).</summary>
    public const string FilePrefix = "medhelm-";

    /// <summary>
    /// Categories whose events below Warning are dropped whatever the configuration says: ASP.NET Core's request,
    /// routing, binding and Kestrel diagnostics quote request URLs, query strings, header and bound parameter values,
    /// any of which may be patient text. The service's own request log replaces them.
    /// </summary>
    public const string RequestEchoingCategory = "Microsoft.AspNetCore";

    /// <summary>Serilog as the only logging provider (any other <see cref="ILoggerProvider"/> registered afterwards also gets every event).</summary>
    /// <param name="services">The container.</param>
    /// <param name="configuration">The MedHelm configuration (its <c>LogFile</c> and <c>Serilog</c> sections).</param>
    /// <param name="verbose">Debug on the console (the CLI's --verbose); warnings and errors otherwise.</param>
    public static IServiceCollection AddMedHelmLogging(this IServiceCollection services, IConfiguration configuration, bool verbose)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<LogFileOptions>().Bind(configuration.GetSection(LogFileOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddLogging(b => b.ClearProviders());
        services.AddSerilog(
            (provider, serilog) => Configure(
                serilog,
                configuration,
                verbose,
                provider.GetRequiredService<IOptions<LogFileOptions>>().Value,
                provider.GetRequiredService<MedHelmPaths>()),
            preserveStaticLogger: true, // each container owns its logger (parallel test hosts, the CLI's serve)
            writeToProviders: true);
        return services;
    }

    /// <summary>The log file folder (created owner-only when the file is written).</summary>
    public static string FolderOf(LogFileOptions options, MedHelmPaths paths) => paths.Resolve(options.Folder);

    private static void Configure(LoggerConfiguration serilog, IConfiguration configuration, bool verbose, LogFileOptions file, MedHelmPaths paths)
    {
        var console = verbose ? LogEventLevel.Debug : LogEventLevel.Warning;
        LogEventLevel? fileLevel = file.Enabled && file.MinimumLevel != LogLevel.None ? LevelOf(file.MinimumLevel) : null;
        serilog.MinimumLevel.Is(fileLevel is { } f && f < console ? f : console)
            .MinimumLevel.Override(RequestEchoingCategory, LogEventLevel.Warning)
            // data protection keys (session cookies, antiforgery tokens) are kept owner-only in DATA/keys; its warning that they
            // are not encrypted at rest says nothing the folder's permissions do not already cover
            .MinimumLevel.Override("Microsoft.AspNetCore.DataProtection", LogEventLevel.Error)
            // the Serilog section may change levels; only the console and file sinks can be named in it (nothing leaves the machine)
            .ReadFrom.Configuration(configuration, new ConfigurationReaderOptions(
                typeof(ConsoleLoggerConfigurationExtensions).Assembly, typeof(FileLoggerConfigurationExtensions).Assembly))
            .Filter.ByExcluding(EchoesRequest)
            .Enrich.With<WithoutRequestPath>()
            .Enrich.WithProperty("ProcessId", Environment.ProcessId)
            .WriteTo.Console(
                restrictedToMinimumLevel: console,
                outputTemplate: ConsoleTemplate,
                formatProvider: CultureInfo.InvariantCulture,
                standardErrorFromLevel: LogEventLevel.Verbose);
        if (fileLevel is { } level && EnsureFolder(FolderOf(file, paths)) is { } folder)
        {
            serilog.WriteTo.File(
                new CompactJsonFormatter(),
                Path.Combine(folder, FilePrefix + ".json"),
                restrictedToMinimumLevel: level,
                fileSizeLimitBytes: file.FileSizeLimitMegabytes * 1024L * 1024L,
                rollingInterval: RollingInterval.Day,
                rollOnFileSizeLimit: true,
                retainedFileCountLimit: file.RetainedFiles,
                retainedFileTimeLimit: TimeSpan.FromDays(file.RetainedDays),
                shared: true); // the CLI and the service of one home append to the same file
        }
    }

    /// <summary>Creates the log folder owner-only; a folder that cannot be created leaves the console as the only sink.</summary>
    private static string? EnsureFolder(string folder)
    {
        try
        {
            return PrivateFolder.Ensure(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // no logger exists yet to say it through
            Console.Error.WriteLine($"warning: the log folder {folder} cannot be created ({e.GetType().Name}); logging to the console only.");
            return null;
        }
    }

    private static bool EchoesRequest(LogEvent e) =>
        e.Level < LogEventLevel.Warning
        && e.Properties.TryGetValue("SourceContext", out var source)
        && source is ScalarValue { Value: string category }
        && (category == RequestEchoingCategory || category.StartsWith(RequestEchoingCategory + ".", StringComparison.Ordinal));

    /// <summary>
    /// Removes the <c>RequestPath</c> that ASP.NET Core's per-request logging scope adds to every event logged while a
    /// request runs: it is the path as sent, which may carry any text (the request log names the route template instead).
    /// </summary>
    private sealed class WithoutRequestPath : Serilog.Core.ILogEventEnricher
    {
        public void Enrich(LogEvent logEvent, Serilog.Core.ILogEventPropertyFactory propertyFactory) => logEvent.RemovePropertyIfPresent("RequestPath");
    }

    private static LogEventLevel LevelOf(LogLevel level) => level switch
    {
        LogLevel.Trace => LogEventLevel.Verbose,
        LogLevel.Debug => LogEventLevel.Debug,
        LogLevel.Information => LogEventLevel.Information,
        LogLevel.Warning => LogEventLevel.Warning,
        LogLevel.Error => LogEventLevel.Error,
        _ => LogEventLevel.Fatal,
    };
}
