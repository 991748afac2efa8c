using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MedHelm.Inference.Worker;

/// <summary>The kinds of <see cref="WorkerFrame"/>.</summary>
internal static class FrameType
{
    /// <summary>Worker → service, first: the model is loaded (sequences, context, template).</summary>
    public const string Hello = "hello";

    /// <summary>Service → worker: a chat request.</summary>
    public const string Request = "request";

    /// <summary>Service → worker: stop a request.</summary>
    public const string Cancel = "cancel";

    /// <summary>Worker → service: a streamed piece of a response.</summary>
    public const string Update = "update";

    /// <summary>Worker → service: a whole response (non-streaming), or the end of a stream.</summary>
    public const string Response = "response";

    /// <summary>Worker → service: a request failed.</summary>
    public const string Failure = "failure";
}

/// <summary>The kinds of <see cref="WorkerFrame.Kind"/> in a failure.</summary>
internal static class FailureKind
{
    /// <summary>The model refused the request (it cannot fit the context): the run records it and goes on.</summary>
    public const string Rejected = "rejected";

    /// <summary>The request's options are invalid.</summary>
    public const string Invalid = "invalid";

    /// <summary>Cancelled on request.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>Anything else (the exception type only: messages may hold prompt text).</summary>
    public const string Failed = "failed";
}

/// <summary>
/// One message of the worker protocol. On the wire: a 4-byte little-endian length, then that many bytes of UTF-8 JSON.
/// Chat messages and responses travel in Microsoft.Extensions.AI's own JSON form.
/// </summary>
internal sealed record WorkerFrame
{
    /// <summary>The largest frame accepted (a prompt of a long clinical note fits many times).</summary>
    public const int MaxBytes = 64 * 1024 * 1024;

    public required string Type { get; init; }

    public long Id { get; init; }

    public bool Stream { get; init; }

    public JsonElement? Messages { get; init; }

    public WireOptions? Options { get; init; }

    public JsonElement? Payload { get; init; }

    public string? Kind { get; init; }

    public string? Message { get; init; }

    public WorkerHello? Hello { get; init; }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>Writes one frame (callers serialize writes).</summary>
    public static async Task WriteAsync(Stream stream, WorkerFrame frame, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(frame, Json);
        var header = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(header, body.Length);
        await stream.WriteAsync(header, cancellationToken).ConfigureAwait(false);
        await stream.WriteAsync(body, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads one frame; null at the end of the stream (the other side closed or died).</summary>
    /// <exception cref="InvalidDataException">A frame's length is out of range or its JSON is not a frame.</exception>
    public static async Task<WorkerFrame?> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var header = new byte[4];
        if (!await ReadExactlyOrEndAsync(stream, header, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(header);
        if (length is <= 0 or > MaxBytes)
        {
            throw new InvalidDataException($"worker protocol: a frame of {length} bytes (1 to {MaxBytes} allowed).");
        }

        var body = new byte[length];
        if (!await ReadExactlyOrEndAsync(stream, body, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<WorkerFrame>(body, Json) ?? throw new InvalidDataException("worker protocol: a null frame.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException("worker protocol: a frame is not valid JSON.", e);
        }
    }

    private static async Task<bool> ReadExactlyOrEndAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }
}

/// <summary>What a worker says once its model is loaded.</summary>
/// <param name="Sequences">Requests it decodes together.</param>
/// <param name="ContextPerSequence">Context tokens per sequence.</param>
/// <param name="HasChatTemplate">The model has a chat template.</param>
/// <param name="TemplateReadsDate">Its chat template reads the date.</param>
/// <param name="ProcessId">The worker's process id.</param>
internal sealed record WorkerHello(int Sequences, int ContextPerSequence, bool HasChatTemplate, bool TemplateReadsDate, int ProcessId);
