using MedHelm.Application.Hosting;
using MedHelm.Hosting;
using MedHelm.Hosting.Logging;
using MedHelm.Service.Apis;
using MedHelm.Service.Dashboard;

namespace MedHelm.Service;

/// <summary>
/// Builds the web service: the MedHelm home's appsettings.json and MEDHELM__ variables, the application layer
/// (<see cref="MedHelmServiceCollectionExtensions.AddMedHelm"/>), Kestrel from the validated <c>Service</c> section,
/// token and session-cookie authentication with roles, the login pages, ProblemDetails, health checks, OpenAPI, the run queue worker, the API groups and,
/// with a <c>Cluster</c> section, an Orleans silo (docs/scale-out.md).
/// </summary>
public sealed class MedHelmServiceApp
{
    private MedHelmServiceApp()
    {
    }

    /// <summary>The service, ready to run.</summary>
    /// <param name="args">Host arguments (e.g. <c>--Service:Urls=https://0.0.0.0:8443</c>).</param>
    /// <param name="settings">The MedHelm home and database overrides (the CLI's --db / --data); null: <see cref="MedHelmHome.Resolve"/>.</param>
    /// <param name="verbose">Log at debug level.</param>
    public static WebApplication Create(string[] args, MedHelmHostSettings? settings = null, bool verbose = false)
    {
        var home = settings?.Home ?? MedHelmHome.Resolve();
        var builder = WebApplication.CreateBuilder(args);
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddConfiguration(MedHelmServiceCollectionExtensions.BuildMedHelmConfiguration(home));
        builder.Configuration.AddCommandLine(args);
        builder.Services.AddMedHelm(builder.Configuration, (settings ?? new MedHelmHostSettings()) with { Home = home });
        builder.Services.AddMedHelmLogging(builder.Configuration, verbose);
        builder.AddMedHelmService();
        builder.AddMedHelmCluster(home); // an Orleans silo in this host, only with a Cluster section

        var app = builder.Build();
        app.UseMedHelmService();
        app.MapRunsApiV1();
        app.MapReportsApiV1();
        app.MapModelsApiV1();
        app.MapBenchmarksApiV1();
        app.MapDatasetsApiV1();
        app.MapAuditApiV1();
        app.MapOpenAiCompatibleApiV1();
        app.MapClusterApiV1();
        app.MapDashboard();
        return app;
    }
}
