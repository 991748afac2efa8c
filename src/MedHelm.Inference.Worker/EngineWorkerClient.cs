using System.Runtime.CompilerServices;
using System.Text.Json;
using MedHelm.Inference.Llama.Chat;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MedHelm.Inference.Worker;

/// <summary>How to start a model's engine worker.</summary>
/// <param name="FileName">The worker executable (or the dotnet host).</param>
/// <param name="Arguments">Its arguments before <c>--connect SOCKET --config FILE</c> (e.g. the worker's dll for the dotnet host).</param>
/// <param name="ModelName">The model's name, for messages.</param>
/// <param name="ConfigJson">The worker's configuration (<see cref="EngineWorkerConfig"/>), written to a private file.</param>
/// <param name="Environment">Extra environment variables of the worker.</param>
public sealed record EngineWorkerStartInfo(
    string FileName, IReadOnlyList<string> Arguments, string ModelName, string ConfigJson, IReadOnlyDictionary<string, string>? Environment = null)
{
    /// <summary>Crashes within <see cref="CrashWindow"/> after which the model is marked crashing.</summary>
    public int MaxCrashes { get; init; } = 3;

    /// <summary>The window <see cref="MaxCrashes"/> counts in.</summary>
    public TimeSpan CrashWindow { get; init; } = TimeSpan.FromMinutes(10);
}

/// <summary>
/// An <see cref="IChatClient"/> whose model runs in a worker process (<see cref="EngineWorkerServer"/>). A worker that
/// dies fails only the requests it was serving, with <see cref="EngineWorkerExitedException"/> naming its exit code; the
/// next request starts a new one; after <see cref="EngineWorkerStartInfo.MaxCrashes"/> crashes within the window, requests
/// are refused with <see cref="EngineWorkerCrashingException"/>. Disposing ends the worker.
/// </summary>
public sealed class EngineWorkerClient : IChatClient
{
    private readonly EngineWorkerStartInfo _start;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _starting = new(1, 1);
    private readonly Queue<DateTimeOffset> _crashes = new();
    private WorkerConnection? _connection;
    private bool _disposed;

    private EngineWorkerClient(EngineWorkerStartInfo start, ILogger? logger)
    {
        _start = start;
        _logger = logger ?? NullLogger.Instance;
        Metadata = new ChatClientMetadata("llama.cpp (engine worker)", null, start.ModelName);
    }

    /// <summary>The client's metadata.</summary>
    public ChatClientMetadata Metadata { get; }

    /// <summary>What the worker said when its model was loaded.</summary>
    internal WorkerHello Hello { get; private set; } = new(1, 0, false, false, 0);

    /// <summary>Requests the worker decodes together.</summary>
    public int Sequences => Hello.Sequences;

    /// <summary>The running worker's process id (0 when none runs).</summary>
    public int ProcessId => _connection is { IsAlive: true } c ? c.ProcessId : 0;

    /// <summary>Crashes so far (within the window).</summary>
    public int RecentCrashes
    {
        get
        {
            lock (_crashes)
            {
                return _crashes.Count;
            }
        }
    }

    /// <summary>Starts the worker and waits until its model is loaded.</summary>
    /// <exception cref="EngineWorkerExitedException">The worker ended while loading (the message has its exit code and last error line).</exception>
    public static async Task<EngineWorkerClient> StartAsync(EngineWorkerStartInfo start, ILogger? logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(start);
        var client = new EngineWorkerClient(start, logger);
        try
        {
            await client.ConnectionAsync(cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var connection = await ConnectionAsync(cancellationToken).ConfigureAwait(false);
        var call = connection.Begin(stream: false);
        await using (cancellationToken.Register(() => connection.CancelQuietly(call.Id)).ConfigureAwait(false))
        {
            await connection.SendRequestAsync(call.Id, stream: false, messages, options, cancellationToken).ConfigureAwait(false);
            var payload = await call.Result.Task.ConfigureAwait(false);
            var response = payload.Deserialize<ChatResponse>(AIJsonUtilities.DefaultOptions) ?? throw new InvalidDataException("worker protocol: an empty response.");
            WireOptions.RestorePrimitives(response.AdditionalProperties);
            return response;
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var connection = await ConnectionAsync(cancellationToken).ConfigureAwait(false);
        var call = connection.Begin(stream: true);
        await using var cancel = cancellationToken.Register(() => connection.CancelQuietly(call.Id)).ConfigureAwait(false);
        await connection.SendRequestAsync(call.Id, stream: true, messages, options, cancellationToken).ConfigureAwait(false);
        await foreach (var payload in call.Updates!.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            var update = payload.Deserialize<ChatResponseUpdate>(AIJsonUtilities.DefaultOptions) ?? throw new InvalidDataException("worker protocol: an empty update.");
            WireOptions.RestorePrimitives(update.AdditionalProperties);
            yield return update;
        }
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? Metadata
        : serviceType == typeof(ChatTemplateInfo) && Hello.HasChatTemplate ? new ChatTemplateInfo(Hello.TemplateReadsDate)
        : serviceType.IsInstanceOfType(this) ? this
        : null;

    /// <summary>Ends the worker.</summary>
    public void Dispose()
    {
        _disposed = true;
        _connection?.Dispose();
        _starting.Dispose();
    }

    private async Task<WorkerConnection> ConnectionAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_connection is { IsAlive: true } alive)
        {
            return alive;
        }

        await _starting.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_connection is { IsAlive: true } started)
            {
                return started;
            }

            if (_connection is { } dead)
            {
                dead.Dispose();
                _connection = null;
            }

            lock (_crashes)
            {
                if (_crashes.Count >= _start.MaxCrashes)
                {
                    throw new EngineWorkerCrashingException(
                        $"The engine worker for model '{_start.ModelName}' crashed {_crashes.Count} times within {_start.CrashWindow.TotalMinutes:0} minutes; " +
                        "it is not started again until the model is unloaded and loaded again.");
                }
            }

            var connection = await WorkerConnection.StartAsync(_start, OnExit, _logger, cancellationToken).ConfigureAwait(false);
            Hello = connection.Hello;
            _connection = connection;
            return connection;
        }
        finally
        {
            _starting.Release();
        }
    }

    private void OnExit(WorkerConnection connection, bool crashed)
    {
        if (!crashed || _disposed)
        {
            return;
        }

        lock (_crashes)
        {
            var now = DateTimeOffset.UtcNow;
            _crashes.Enqueue(now);
            while (_crashes.Count > 0 && now - _crashes.Peek() > _start.CrashWindow)
            {
                _crashes.Dequeue();
            }
        }
    }
}
