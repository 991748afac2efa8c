using System.Text.Json;
using MedHelm.Application.Ports;
using MedHelm.Application.Serving;
using MedHelm.Service.Access;
using MedHelm.Service.OpenAi;
using Microsoft.Extensions.AI;

namespace MedHelm.Service.Apis;

/// <summary>
/// <c>/v1</c>: OpenAI-compatible endpoints for the local models (<c>GET /v1/models</c>, <c>POST /v1/chat/completions</c>
/// with or without streaming, <c>POST /v1/embeddings</c>), answered by the same batched engine that runs evaluations
/// (<see cref="LocalModelServer"/>). Errors use OpenAI's error shape. Listing models is open to viewers (names only);
/// generating and embedding send and return patient text and use the accelerator, so they need an operator.
/// </summary>
public static class OpenAiCompatibleApi
{
    /// <summary>Maps the group.</summary>
    public static RouteGroupBuilder MapOpenAiCompatibleApiV1(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1").WithTags("OpenAI-compatible");
        foreach (var status in new[] { StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound })
        {
            group.WithMetadata(new ProducesResponseTypeMetadata(status, typeof(ErrorBody), ["application/json"]));
        }

        group.MapGet("/models", ListModels).RequireRole(AccessRole.Viewer).WithSummary("The local models served here (OpenAI's model list).");
        group.MapGet("/models/{model}", GetModel).RequireRole(AccessRole.Viewer).Produces<ModelBody>(StatusCodes.Status200OK).WithSummary("One served model.");
        group.MapPost("/chat/completions", ChatAsync).RequireRole(AccessRole.Operator)
            .Accepts<ChatCompletionBody>("application/json")
            .Produces<ChatCompletionResponse>(StatusCodes.Status200OK)
            .WithSummary("A chat completion from a local model, whole or streamed as server-sent events; response_format json_schema is enforced by grammar.")
            .WithDescription(
                "With \"stream\": true the answer is text/event-stream: \"data: {chat.completion.chunk}\" events (a role chunk, content chunks, "
                + "reasoning_content for reasoning models, a chunk with finish_reason, usage when stream_options.include_usage), then \"data: [DONE]\".");
        group.MapPost("/embeddings", EmbeddingsAsync).RequireRole(AccessRole.Operator)
            .Accepts<EmbeddingsBody>("application/json")
            .Produces<EmbeddingsResponse>(StatusCodes.Status200OK)
            .WithSummary("Sentence embeddings from a local BERT-family model.");
        return group;
    }

    private static ModelListBody ListModels(LocalModelServer server) =>
        new("list", server.List().Select(ToBody).ToArray());

    private static async Task GetModel(string model, LocalModelServer server, HttpContext context)
    {
        try
        {
            await context.Response.WriteAsJsonAsync(ToBody(server.Describe(model)));
        }
        catch (Exception e) when (OpenAiErrors.Describe(e) is { } error)
        {
            await OpenAiErrors.WriteAsync(context, error.Status, error.Message, error.Param, error.Code);
        }
    }

    private static async Task ChatAsync(HttpContext context, LocalModelServer server, CancellationToken cancellationToken)
    {
        try
        {
            using var document = await OpenAiRequestReader.ReadAsync(context.Request, cancellationToken);
            var (request, stream, streamUsage) = OpenAiRequestReader.Chat(document.RootElement);
            using var chat = await server.PrepareChatAsync(request, cancellationToken);
            var id = "chatcmpl-" + Guid.NewGuid().ToString("N");
            var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            if (stream)
            {
                await ChatStreamWriter.WriteAsync(context, chat, request, id, created, streamUsage, cancellationToken);
                return;
            }

            var response = await chat.Lease.Client.GetResponseAsync(request.Messages, chat.Options, cancellationToken);
            var reasoning = string.Concat(response.Messages.SelectMany(m => m.Contents).OfType<TextReasoningContent>().Select(r => r.Text));
            var message = new AnswerMessage("assistant", response.Text, reasoning.Length > 0 ? reasoning : null);
            await context.Response.WriteAsJsonAsync(new ChatCompletionResponse(
                id, "chat.completion", created, request.Model, [new ChoiceBody(0, message, FinishReason(response.FinishReason))], Usage(response.Usage)));
        }
        catch (Exception e) when (!context.Response.HasStarted && OpenAiErrors.Describe(e) is { } error)
        {
            await OpenAiErrors.WriteAsync(context, error.Status, error.Message, error.Param, error.Code);
        }
    }

    private static async Task EmbeddingsAsync(HttpContext context, LocalModelServer server, CancellationToken cancellationToken)
    {
        try
        {
            using var document = await OpenAiRequestReader.ReadAsync(context.Request, cancellationToken);
            var (model, inputs, base64) = OpenAiRequestReader.Embeddings(document.RootElement);
            var embeddings = await server.EmbedAsync(model, inputs, cancellationToken);
            var tokens = embeddings.Usage?.InputTokenCount ?? 0;
            var usage = new EmbeddingUsageBody(tokens, tokens);
            if (base64)
            {
                // the OpenAI SDKs ask for base64: the float32 values, little-endian, as one base64 string per vector
                await context.Response.WriteAsJsonAsync(new Base64EmbeddingsResponse(
                    "list",
                    embeddings.Select((e, i) => new Base64EmbeddingBody("embedding", i, Convert.ToBase64String(System.Runtime.InteropServices.MemoryMarshal.AsBytes(e.Vector.Span)))).ToArray(),
                    model,
                    usage));
                return;
            }

            await context.Response.WriteAsJsonAsync(new EmbeddingsResponse(
                "list",
                embeddings.Select((e, i) => new EmbeddingBody("embedding", i, e.Vector.ToArray())).ToArray(),
                model,
                usage));
        }
        catch (Exception e) when (!context.Response.HasStarted && OpenAiErrors.Describe(e, "input") is { } error)
        {
            await OpenAiErrors.WriteAsync(context, error.Status, error.Message, error.Param, error.Code);
        }
    }

    /// <summary>OpenAI's finish reason: length when a token limit or the context ended the answer, else stop.</summary>
    internal static string FinishReason(ChatFinishReason? reason) => reason == ChatFinishReason.Length ? "length" : "stop";

    internal static UsageBody Usage(UsageDetails? usage)
    {
        var prompt = usage?.InputTokenCount ?? 0;
        var completion = usage?.OutputTokenCount ?? 0;
        return new UsageBody(prompt, completion, prompt + completion);
    }

    private static ModelBody ToBody(ServedModel model) =>
        new(model.Name, "model", model.Created.ToUnixTimeSeconds(), "medhelm", model.Kind == ServedModelKind.Chat ? "chat" : "embedding");
}

/// <summary>Streams a chat completion as server-sent events: a role chunk, text chunks as the engine finalises them, a finish chunk, optionally usage, then <c>[DONE]</c>.</summary>
internal static class ChatStreamWriter
{
    public static async Task WriteAsync(
        HttpContext context, PreparedChat chat, ChatCompletionRequest request, string id, long created, bool includeUsage, CancellationToken cancellationToken)
    {
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        ChatCompletionChunk Chunk(AnswerMessage delta, string? finish) => new(id, "chat.completion.chunk", created, request.Model, [new ChunkChoiceBody(0, delta, finish)], null);

        await SendAsync(response, Chunk(new AnswerMessage("assistant", "", null), null), cancellationToken);
        string? reasoning = null;
        ChatFinishReason? finishReason = null;
        UsageDetails? usage = null;
        try
        {
            await foreach (var update in chat.Lease.Client.GetStreamingResponseAsync(request.Messages, chat.Options, cancellationToken))
            {
                if (update.Text is { Length: > 0 } text)
                {
                    await SendAsync(response, Chunk(new AnswerMessage(null, text, null), null), cancellationToken);
                }

                reasoning = string.Concat(update.Contents.OfType<TextReasoningContent>().Select(r => r.Text)) is { Length: > 0 } r ? r : reasoning;
                usage = update.Contents.OfType<UsageContent>().FirstOrDefault()?.Details ?? usage;
                finishReason = update.FinishReason ?? finishReason;
            }
        }
        catch (Exception e) when (OpenAiErrors.Describe(e) is { } error)
        {
            // the status line is sent: the error goes into the stream, as OpenAI's servers do
            await SendAsync(response, OpenAiErrors.Body(error), cancellationToken);
            return;
        }

        if (reasoning is not null)
        {
            // the engine separates the reasoning when the answer ends, so it comes as one chunk before the finish
            await SendAsync(response, Chunk(new AnswerMessage(null, null, reasoning), null), cancellationToken);
        }

        await SendAsync(response, Chunk(new AnswerMessage(null, null, null), OpenAiCompatibleApi.FinishReason(finishReason)), cancellationToken);
        if (includeUsage)
        {
            await SendAsync(response, new ChatCompletionChunk(id, "chat.completion.chunk", created, request.Model, [], OpenAiCompatibleApi.Usage(usage)), cancellationToken);
        }

        await response.WriteAsync("data: [DONE]\n\n", cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    private static async Task SendAsync<T>(HttpResponse response, T payload, CancellationToken cancellationToken)
    {
        await response.WriteAsync("data: " + JsonSerializer.Serialize(payload) + "\n\n", cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }
}
