using MedHelm.Application.Errors;
using MedHelm.Inference.Llama.Generation;

namespace MedHelm.Service.OpenAi;

/// <summary>An error of a <c>/v1</c> request, answered in OpenAI's error shape.</summary>
internal sealed class OpenAiException(int status, string message, string? param, string? code) : Exception(message)
{
    public int Status { get; } = status;

    public string? Param { get; } = param;

    public string? Code { get; } = code;
}

/// <summary>
/// Writes OpenAI's <c>{"error": {message, type, param, code}}</c> for the <c>/v1</c> endpoints: from their own errors,
/// from the application layer's typed errors, and for the bodiless status codes the pipeline sets before an endpoint
/// runs (401, 403, 404, 405). Never a stack trace; messages name fields, never quote the request.
/// </summary>
internal static class OpenAiErrors
{
    /// <summary>True for a request to the OpenAI-compatible endpoints.</summary>
    public static bool IsOpenAiPath(HttpContext context) => context.Request.Path.StartsWithSegments("/v1", StringComparison.Ordinal);

    /// <summary>
    /// Gives the bodiless error responses under <c>/v1</c> (authentication, authorization, unknown route or method) an
    /// OpenAI error body; placed before authentication so that its 401 and 403 pass through here.
    /// </summary>
    public static IApplicationBuilder UseOpenAiErrorBodies(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        await next(context);
        if (IsOpenAiPath(context) && !context.Response.HasStarted && context.Response.StatusCode >= 400 && context.Response.ContentLength is null or 0
            && string.IsNullOrEmpty(context.Response.ContentType))
        {
            var status = context.Response.StatusCode;
            var (message, code) = status switch
            {
                StatusCodes.Status401Unauthorized => ("A valid API token is required (Authorization: Bearer …).", "invalid_api_key"),
                StatusCodes.Status403Forbidden => ("The API token's role may not use this endpoint.", "insufficient_role"),
                StatusCodes.Status404NotFound => ("There is no such endpoint.", "unknown_url"),
                StatusCodes.Status405MethodNotAllowed => ("The endpoint does not take this method.", "method_not_allowed"),
                _ => ("The request failed.", null),
            };
            await WriteAsync(context, status, message, null, code);
        }
    });

    /// <summary>The error body of an exception the endpoints expect (status, message, field, code), or null for a defect.</summary>
    /// <param name="exception">What was thrown.</param>
    /// <param name="inputParam">The field that holds the text the model reads (messages; input for embeddings).</param>
    public static (int Status, string Message, string? Param, string? Code)? Describe(Exception exception, string inputParam = "messages")
    {
        switch (exception)
        {
            case OpenAiException e:
                return (e.Status, e.Message, e.Param, e.Code);
            case ApplicationError e:
                var param = Field(e.Message);
                var code = e.Kind == ErrorKind.NotFound && param == "model" ? "model_not_found" : null;
                return (Errors.ProblemDetailsExceptionHandler.StatusOf(e.Kind), e.Message, param, code);
            case PromptTooLongException e:
                return (
                    StatusCodes.Status400BadRequest,
                    e.MaxTokens > 0
                        ? $"The prompt has {e.PromptTokens} tokens; with max_tokens {e.MaxTokens} it does not fit the model's {e.ContextPerSequence} tokens per sequence."
                        : $"A text has {e.PromptTokens} tokens; the model takes at most {e.ContextPerSequence} per text.",
                    inputParam,
                    "context_length_exceeded");
            case BadHttpRequestException e:
                return (e.StatusCode, "The request could not be read (malformed, too large or cut off).", null, null);
            default:
                return null;
        }
    }

    /// <summary>The error body of <paramref name="error"/> as JSON.</summary>
    public static ErrorBody Body((int Status, string Message, string? Param, string? Code) error) =>
        new(new ErrorDetail(error.Message, TypeOf(error.Status), error.Param, error.Code));

    /// <summary>Writes one error body with <paramref name="status"/>.</summary>
    public static Task WriteAsync(HttpContext context, int status, string message, string? param, string? code)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(Body((status, message, param, code)));
    }

    private static string TypeOf(int status) => status switch
    {
        StatusCodes.Status401Unauthorized => "authentication_error",
        StatusCodes.Status403Forbidden => "permission_error",
        StatusCodes.Status404NotFound => "not_found_error",
        >= 500 => "server_error",
        _ => "invalid_request_error",
    };

    /// <summary>The field a message starts with (<c>"max_tokens: 1 to …"</c>), if it names one.</summary>
    private static string? Field(string message)
    {
        var colon = message.IndexOf(": ", StringComparison.Ordinal);
        var field = colon > 0 ? message[..colon] : null;
        return field is not null && field.All(c => char.IsAsciiLetterLower(c) || c == '_') ? field : null;
    }
}
