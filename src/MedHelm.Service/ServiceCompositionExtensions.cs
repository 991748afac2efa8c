using MedHelm.Application.Options;
using System.Net;
using MedHelm.Application.Hosting;
using MedHelm.Application.Models;
using MedHelm.Application.Ports;
using MedHelm.Application.Serving;
using MedHelm.Service.Access;
using MedHelm.Service.Diagnostics;
using MedHelm.Service.Errors;
using MedHelm.Service.Health;
using MedHelm.Service.OpenAi;
using MedHelm.Service.OpenApi;
using MedHelm.Service.Options;
using MedHelm.Service.Runs;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace MedHelm.Service;

/// <summary>The service's own composition on top of the application layer.</summary>
public static class ServiceCompositionExtensions
{
    /// <summary>Options, Kestrel, authentication and roles, ProblemDetails, health checks, OpenAPI and the run queue worker.</summary>
    public static WebApplicationBuilder AddMedHelmService(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<ServiceOptions>().Bind(builder.Configuration.GetSection(ServiceOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<ServiceOptions>>(sp => new ServiceOptionsValidator(sp.GetRequiredService<MedHelmPaths>().Resolve));
        builder.WebHost.ConfigureKestrel(ConfigureKestrel);

        // a service keeps idle models loaded (within ModelLoader's budget) and runs each model's engine in a worker process
        // of its own (an abort in llama.cpp ends that worker, not every user's work), unless configured otherwise
        services.PostConfigure<ModelLoaderOptions>(o =>
        {
            o.KeepLoaded ??= true;
            o.Placement ??= ModelPlacement.Worker;
        });
        services.AddSingleton<RunProgressRegistry>();
        services.AddSingleton<LocalModelServer>();
        services.AddHostedService<RunQueueWorker>();
        // the run queue worker cancels the batch in flight after ShutdownSeconds; the extra time records that cancellation
        services.AddOptions<HostOptions>().Configure<IOptions<ServiceOptions>>((host, service) => host.ShutdownTimeout = TimeSpan.FromSeconds(service.Value.ShutdownSeconds + 15));

        services.AddMedHelmAuthentication();
        services.AddAuthorizationBuilder()
            .AddPolicy(Roles.Policy(AccessRole.Viewer), p => p.RequireRole(Roles.AtLeast(AccessRole.Viewer)))
            .AddPolicy(Roles.Policy(AccessRole.Operator), p => p.RequireRole(Roles.AtLeast(AccessRole.Operator)))
            .AddPolicy(Roles.Policy(AccessRole.Admin), p => p.RequireRole(Roles.AtLeast(AccessRole.Admin)))
            // an endpoint that names no role still needs a valid token or session
            .SetFallbackPolicy(new Microsoft.AspNetCore.Authorization.AuthorizationPolicyBuilder().RequireRole(Roles.AtLeast(AccessRole.Viewer)).Build());

        services.AddProblemDetails();
        services.AddExceptionHandler<ProblemDetailsExceptionHandler>();
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: ["ready"])
            .AddCheck<RuntimeHealthCheck>("runtime", tags: ["ready"])
            .AddCheck<ModelsHealthCheck>("models", tags: ["ready"]);
        services.AddOpenApi(o => RoleDocumentTransformer.Register(o));
        return builder;
    }

    /// <summary>The middleware and the endpoints outside the API groups: health, the login pages and the OpenAPI document.</summary>
    public static WebApplication UseMedHelmService(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseMedHelmRequestLogging(); // first: it sees the final status of every request
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseOpenAiErrorBodies(); // inside the status code pages: /v1 errors get OpenAI's error shape, not ProblemDetails
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter(); // the login form's limit per client address
        app.UseAntiforgery(); // the dashboard's form posts; after authorization, so an anonymous post gets 401 first
        app.UseSessionAntiforgery(); // and every state-changing request made with a session cookie
        app.UseUtf8BodiesOnly(); // after authorization: an anonymous request gets 401 whatever its body

        app.MapHealthChecks("/health/live", HealthJson.Options(_ => false)).AllowAnonymous();
        app.MapHealthChecks("/health/ready", HealthJson.Options(r => r.Tags.Contains("ready"))).RequireRole(AccessRole.Viewer);
        app.MapOpenApi().RequireRole(AccessRole.Viewer);
        app.MapLoginPages();
        return app;
    }

    /// <summary>Listens on Service:Urls; https addresses with Service:CertificatePath (both validated at start).</summary>
    private static void ConfigureKestrel(KestrelServerOptions kestrel)
    {
        var options = kestrel.ApplicationServices.GetRequiredService<IOptions<ServiceOptions>>().Value;
        var paths = kestrel.ApplicationServices.GetRequiredService<MedHelmPaths>();
        kestrel.AddServerHeader = false;
        foreach (var url in options.ParsedUrls())
        {
            void Configure(ListenOptions listen)
            {
                if (url.Scheme == "https")
                {
                    listen.UseHttps(options.LoadCertificate(paths.Resolve(options.CertificatePath!)));
                }
            }

            if (string.Equals(url.Host, "localhost", StringComparison.OrdinalIgnoreCase))
            {
                kestrel.ListenLocalhost(url.Port, Configure);
            }
            else if (url.Host is "*" or "+" || !IPAddress.TryParse(url.Host.Trim('[', ']'), out var address))
            {
                kestrel.ListenAnyIP(url.Port, Configure);
            }
            else
            {
                kestrel.Listen(address, url.Port, Configure);
            }
        }
    }
}
