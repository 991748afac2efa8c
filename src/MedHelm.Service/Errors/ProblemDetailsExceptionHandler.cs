using MedHelm.Application.Errors;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace MedHelm.Service.Errors;

/// <summary>
/// Turns exceptions into ProblemDetails: the application layer's typed errors by kind (400 validation, 404 not found,
/// 409 conflict, 403 policy) with their message, with any text of the request's route or query values cut out (no
/// echoed input); a request that cannot be read to its status (400, 413, ...); anything else to a generic 500. Never a
/// stack trace; the log gets the exception's type and the route pattern, not its message (which could quote data).
/// </summary>
internal sealed partial class ProblemDetailsExceptionHandler(IProblemDetailsService problems, ILogger<ProblemDetailsExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, title, detail) = exception switch
        {
            ApplicationError e => (StatusOf(e.Kind), TitleOf(e.Kind), RequestEcho.Redact(httpContext, e.Message)),
            Evaluation.Datasets.DatasetFormatException or Gguf.GgufFormatException =>
                (StatusCodes.Status400BadRequest, "The request is invalid.", RequestEcho.Redact(httpContext, exception.Message)),
            BadHttpRequestException e => (e.StatusCode, "The request could not be read.", Generic(e.StatusCode)),
            InvalidDataException => (StatusCodes.Status400BadRequest, "The request could not be read.", "The request body is malformed or too large."),
            Microsoft.AspNetCore.Antiforgery.AntiforgeryValidationException =>
                (StatusCodes.Status400BadRequest, "The request could not be read.", "The antiforgery token is missing or invalid: reload the page."),
            OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested => (499, "Client closed the request.", null),
            _ => (StatusCodes.Status500InternalServerError, "An unexpected error occurred.", "The error was logged; nothing about it is shown here."),
        };

        if (status >= 500)
        {
            var endpoint = httpContext.Features.Get<IExceptionHandlerFeature>()?.Endpoint as RouteEndpoint;
            LogUnexpected(logger, exception.GetType().Name, httpContext.Request.Method, endpoint?.RoutePattern.RawText ?? "(no endpoint)");
        }

        httpContext.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = null, // never serialized: no stack trace, no message of an unexpected error
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }

    internal static int StatusOf(ErrorKind kind) => kind switch
    {
        ErrorKind.Validation => StatusCodes.Status400BadRequest,
        ErrorKind.NotFound => StatusCodes.Status404NotFound,
        ErrorKind.Conflict => StatusCodes.Status409Conflict,
        ErrorKind.PolicyViolation => StatusCodes.Status403Forbidden,
        _ => StatusCodes.Status500InternalServerError,
    };

    private static string TitleOf(ErrorKind kind) => kind switch
    {
        ErrorKind.Validation => "The request is invalid.",
        ErrorKind.NotFound => "Not found.",
        ErrorKind.Conflict => "The request conflicts with the stored state.",
        ErrorKind.PolicyViolation => "A policy forbids this request.",
        _ => "Error.",
    };

    private static string Generic(int status) => status switch
    {
        StatusCodes.Status413PayloadTooLarge => "The request body is larger than this endpoint accepts.",
        StatusCodes.Status415UnsupportedMediaType => "Request bodies are read as UTF-8 only.",
        _ => "A parameter or the body is missing, has the wrong type or is not valid JSON.",
    };

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected {ErrorType} on {Method} {Route}")]
    private static partial void LogUnexpected(ILogger logger, string errorType, string method, string route);
}

/// <summary>Refuses (415) a request body declared in a charset other than UTF-8, before any endpoint tries to decode it.</summary>
internal static class Utf8BodiesOnly
{
    public static IApplicationBuilder UseUtf8BodiesOnly(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var type)
            && type.Charset.HasValue && !type.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !type.Charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
        {
            throw new BadHttpRequestException("charset", StatusCodes.Status415UnsupportedMediaType);
        }

        await next(context);
    });
}

/// <summary>
/// Cuts what a request sent out of an error message: route and query values, values an endpoint recorded, and any
/// quoted text that occurs in an uploaded file an endpoint recorded (an importer quotes the bad cell it found, which in
/// a shifted column may be a note's text).
/// </summary>
internal static partial class RequestEcho
{
    private const string ItemKey = "medhelm.request-values";
    private const string SourcesKey = "medhelm.request-sources";

    /// <summary>Records the texts of uploaded files: quoted fragments of them are cut from error messages.</summary>
    /// <returns>False, so that it can run in an exception filter (before the files are deleted).</returns>
    public static bool RecordSources(HttpContext context, IReadOnlyList<string> texts)
    {
        context.Items[SourcesKey] = texts;
        return false;
    }

    /// <summary>Records <paramref name="values"/> (e.g. from a JSON body) to be cut from error messages.</summary>
    public static void Record(HttpContext context, IEnumerable<string?> values)
    {
        if (context.Items[ItemKey] is not List<string> list)
        {
            context.Items[ItemKey] = list = [];
        }

        list.AddRange(values.OfType<string>());
    }

    public static string Redact(HttpContext context, string message)
    {
        // the exception handler has cleared the request's route values by now; its feature keeps them
        var routeValues = context.Features.Get<IExceptionHandlerFeature>()?.RouteValues ?? context.Request.RouteValues;
        var values = routeValues.Values.Select(v => v?.ToString())
            .Concat(context.Request.Query.SelectMany(q => q.Value.Select(v => v)))
            .Concat(context.Items[ItemKey] as List<string> ?? [])
            .OfType<string>()
            .Where(v => v.Length >= 3)
            .Distinct(StringComparer.Ordinal)
            .OrderByDescending(v => v.Length);
        foreach (var value in values)
        {
            message = message.Replace(value, "(as given)", StringComparison.Ordinal);
        }

        if (context.Items[SourcesKey] is IReadOnlyList<string> sources)
        {
            message = Quoted().Replace(message, m =>
            {
                var quoted = m.Groups[2].Value.TrimEnd('…');
                return sources.Any(s => s.Contains(quoted, StringComparison.OrdinalIgnoreCase)) ? $"{m.Groups[1].Value}(a value from the file){m.Groups[1].Value}" : m.Value;
            });
        }

        return message.Length <= 500 ? message : message[..500] + "…";
    }

    [System.Text.RegularExpressions.GeneratedRegex("""(['"])([^'"\r\n]+)\1""")]
    private static partial System.Text.RegularExpressions.Regex Quoted();
}
