using Microsoft.AspNetCore.Diagnostics;
using Serilog;
using Serilog.Events;

namespace MedHelm.Service.Diagnostics;

/// <summary>
/// One Information event per request (Error for a 5xx), through Serilog.AspNetCore: the method, the matched route
/// template (e.g. <c>/api/v1/runs/{id}</c>, never the path as sent, which may carry any text), the status code and the
/// elapsed milliseconds. Never a body, a query string, a header, a cookie or a route value.
/// </summary>
internal static class RequestLogging
{
    public const string MessageTemplate = "HTTP {RequestMethod} {Route} responded {StatusCode} in {Elapsed:0.0} ms";

    /// <summary>Logged for a request that matched no endpoint (its path is not logged).</summary>
    public const string NoRoute = "(no route)";

    private static readonly HashSet<string> KnownMethods = new(StringComparer.OrdinalIgnoreCase)
    {
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT",
    };

    public static IApplicationBuilder UseMedHelmRequestLogging(this IApplicationBuilder app) =>
        app.UseSerilogRequestLogging(options =>
        {
            options.Logger = app.ApplicationServices.GetRequiredService<Serilog.ILogger>();
            options.MessageTemplate = MessageTemplate;
            options.IncludeQueryInRequestPath = false;
            options.GetMessageTemplateProperties = (context, _, elapsed, status) =>
            [
                new LogEventProperty("RequestMethod", new ScalarValue(MethodOf(context))),
                new LogEventProperty("Route", new ScalarValue(RouteOf(context))),
                new LogEventProperty("StatusCode", new ScalarValue(status)),
                new LogEventProperty("Elapsed", new ScalarValue(elapsed)),
            ];
        });

    /// <summary>The route template of the endpoint that handled the request (also after the exception handler ran), or <see cref="NoRoute"/>.</summary>
    internal static string RouteOf(HttpContext context)
    {
        var endpoint = context.GetEndpoint() ?? context.Features.Get<IExceptionHandlerFeature>()?.Endpoint;
        return endpoint is RouteEndpoint route ? "/" + route.RoutePattern.RawText?.TrimStart('/') : NoRoute;
    }

    /// <summary>A standard method as such; any other token a client sent is not echoed.</summary>
    private static string MethodOf(HttpContext context) =>
        KnownMethods.Contains(context.Request.Method) ? context.Request.Method.ToUpperInvariant() : "(other)";
}
