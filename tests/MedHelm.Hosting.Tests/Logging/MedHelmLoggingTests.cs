using System.Text.Json;
using MedHelm.Hosting.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MedHelm.Hosting.Tests.Logging;

/// <summary>The logging every host composes: the rolling compact-JSON file, its settings, and what is never written.</summary>
public sealed class MedHelmLoggingTests
{
    private static ServiceProvider Compose(TempFolder home, string json)
    {
        home.Write("appsettings.json", json);
        var configuration = MedHelmServiceCollectionExtensions.BuildMedHelmConfiguration(home.Path);
        return new ServiceCollection()
            .AddMedHelm(configuration, new MedHelmHostSettings(home.Path))
            .AddMedHelmLogging(configuration, verbose: false)
            .BuildServiceProvider();
    }

    private static IReadOnlyList<JsonElement> Events(string folder) =>
        Directory.GetFiles(folder, MedHelmLoggingExtensions.FilePrefix + "*.json")
            .SelectMany(File.ReadAllLines)
            .Select(line => JsonDocument.Parse(line).RootElement.Clone())
            .ToArray();

    [Fact]
    public async Task Events_at_or_above_the_file_level_go_to_a_dated_compact_JSON_file_in_an_owner_only_logs_folder()
    {
        using var home = new TempFolder();
        await using (var provider = Compose(home, """{"LogFile":{"MinimumLevel":"Information"}}"""))
        {
            provider.ValidateMedHelmOptions();
            var logger = provider.GetRequiredService<ILogger<MedHelmLoggingTests>>();
            logger.LogInformation("Run {RunId} finished {Instances} instances", "r1", 3);
            logger.LogDebug("below the file level {Value}", 1);
            logger.LogWarning("a warning");
        }

        var folder = home.PathOf("logs");
        var file = Assert.Single(Directory.GetFiles(folder));
        Assert.Equal($"{MedHelmLoggingExtensions.FilePrefix}{DateTime.Now:yyyyMMdd}.json", Path.GetFileName(file));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        }

        var events = Events(folder);
        Assert.Equal(2, events.Count);
        var run = events[0];
        Assert.Equal("Run {RunId} finished {Instances} instances", run.GetProperty("@mt").GetString());
        Assert.Equal("r1", run.GetProperty("RunId").GetString());
        Assert.Equal(3, run.GetProperty("Instances").GetInt32());
        Assert.Equal(typeof(MedHelmLoggingTests).FullName, run.GetProperty("SourceContext").GetString());
        Assert.True(run.TryGetProperty("@t", out _));
        Assert.Equal("Warning", events[1].GetProperty("@l").GetString());
    }

    [Fact]
    public async Task The_Serilog_section_sets_levels_but_ASP_NET_Core_events_below_Warning_and_request_paths_are_never_written()
    {
        using var home = new TempFolder();
        const string json = """
            {
              "LogFile": { "Folder": "elsewhere", "MinimumLevel": "Trace" },
              "Serilog": { "MinimumLevel": { "Default": "Verbose", "Override": { "Microsoft.AspNetCore": "Verbose", "Noisy": "Error" } } }
            }
            """;
        await using (var provider = Compose(home, json))
        {
            var loggers = provider.GetRequiredService<ILoggerFactory>();
            loggers.CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics").LogInformation("Request starting GET /x?q={Query}", "secret");
            var kestrel = loggers.CreateLogger("Microsoft.AspNetCore.Server.Kestrel");
            using (kestrel.BeginScope(new Dictionary<string, object> { ["RequestId"] = "r-1", ["RequestPath"] = "/api/v1/runs/secret" }))
            {
                kestrel.LogWarning("kept {Kind}", "warning"); // ASP.NET Core's request scope: its path as sent is removed
            }

            loggers.CreateLogger("Noisy").LogWarning("below its override");
            loggers.CreateLogger("MedHelm.Run").LogTrace("trace {Level}", "kept");
        }

        Assert.False(Directory.Exists(home.PathOf("logs")));
        var events = Events(home.PathOf("elsewhere"));
        Assert.Equal(new[] { "kept {Kind}", "trace {Level}" }, events.Select(e => e.GetProperty("@mt").GetString() ?? "").ToArray());
        Assert.DoesNotContain("secret", string.Join("\n", events.Select(e => e.GetRawText())), StringComparison.Ordinal);
        Assert.Equal("r-1", events[0].GetProperty("RequestId").GetString());
    }

    [Fact]
    public async Task A_disabled_file_creates_no_folder_and_a_misspelt_key_is_refused_by_name()
    {
        using var home = new TempFolder();
        await using (var provider = Compose(home, """{"LogFile":{"Enabled":false}}"""))
        {
            provider.GetRequiredService<ILogger<MedHelmLoggingTests>>().LogError("console only");
        }

        Assert.False(Directory.Exists(home.PathOf("logs")));

        home.Write("appsettings.json", """{"LogFile":{"RetainDays":3}}""");
        var failure = Assert.Throws<ConfigurationFileException>(() => MedHelmServiceCollectionExtensions.BuildMedHelmConfiguration(home.Path));
        Assert.Contains("LogFile:RetainDays", failure.Message, StringComparison.Ordinal);
        Assert.Contains("RetainedDays", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_log_folder_that_cannot_be_created_leaves_the_console_and_the_host_starts()
    {
        using var home = new TempFolder();
        home.Write("blocked", "a file where the folder should be");
        await using var provider = Compose(home, """{"LogFile":{"Folder":"blocked/logs"}}""");
        provider.ValidateMedHelmOptions();
        provider.GetRequiredService<ILogger<MedHelmLoggingTests>>().LogWarning("still logged to the console");
        Assert.True(File.Exists(home.PathOf("blocked")));
    }
}
