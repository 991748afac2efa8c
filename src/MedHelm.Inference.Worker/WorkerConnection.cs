using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace MedHelm.Inference.Worker;

/// <summary>One started worker process and its socket: sends requests, routes its answers to their callers, and when it
/// dies fails every call in flight with its exit code.</summary>
internal sealed partial class WorkerConnection : IDisposable
{
    private readonly Process _process;
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly string _folder;
    private readonly string _modelName;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<long, Call> _calls = new();
    private readonly Queue<string> _lastErrors = new();
    private readonly CancellationTokenSource _closing = new();
    private long _nextId;
    private volatile bool _alive = true;
    private int _disposed;

    private WorkerConnection(Process process, Socket socket, string folder, string modelName, ILogger logger)
    {
        _process = process;
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
        _folder = folder;
        _modelName = modelName;
        _logger = logger;
    }

    public WorkerHello Hello { get; private set; } = new(1, 0, false, false, 0);

    public bool IsAlive => _alive;

    public int ProcessId => _process.Id;

    /// <summary>Starts the worker, accepts its connection and waits for its hello (the model loaded).</summary>
    public static async Task<WorkerConnection> StartAsync(
        EngineWorkerStartInfo start, Action<WorkerConnection, bool> onExit, ILogger logger, CancellationToken cancellationToken)
    {
        // a private folder (CreateTempSubdirectory makes it 0700) holds the socket and the configuration: only this user
        // can connect or read them
        var folder = Directory.CreateTempSubdirectory("medhelm-worker-").FullName;
        var socketPath = Path.Combine(folder, "s");
        var configPath = Path.Combine(folder, "config.json");
        await File.WriteAllTextAsync(configPath, start.ConfigJson, cancellationToken).ConfigureAwait(false);
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        listener.Listen(1);

        var info = new ProcessStartInfo(start.FileName)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = false,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        foreach (var argument in start.Arguments.Concat(["--connect", socketPath, "--config", configPath]))
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in start.Environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info) ?? throw new EngineWorkerExitedException($"The engine worker for model '{start.ModelName}' could not be started ({start.FileName}).");
        WorkerConnection? connection = null;
        try
        {
            var exited = process.WaitForExitAsync(CancellationToken.None);
            var accept = listener.AcceptAsync(cancellationToken).AsTask();
            if (await Task.WhenAny(accept, exited).ConfigureAwait(false) != accept)
            {
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                throw new EngineWorkerExitedException(
                    $"The engine worker for model '{start.ModelName}' exited with code {process.ExitCode} before connecting: {await LastLineAsync(process).ConfigureAwait(false)}");
            }

            connection = new WorkerConnection(process, await accept.ConfigureAwait(false), folder, start.ModelName, logger);
            connection.ReadErrors();
            var hello = await WorkerFrame.ReadAsync(connection._stream, cancellationToken).ConfigureAwait(false);
            if (hello is not { Type: FrameType.Hello, Hello: { } said })
            {
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                throw new EngineWorkerExitedException(
                    $"The engine worker for model '{start.ModelName}' exited with code {process.ExitCode}{Signal(process.ExitCode)} while loading the model: {connection.LastError()}");
            }

            connection.Hello = said;
            LogStarted(logger, start.ModelName, process.Id, said.Sequences);
            _ = connection.ReadLoopAsync(onExit);
            return connection;
        }
        catch
        {
            if (connection is not null)
            {
                connection.Dispose();
            }
            else
            {
                Kill(process);
                process.Dispose();
                Directory.Delete(folder, recursive: true);
            }

            throw;
        }
    }

    public Call Begin(bool stream)
    {
        var call = new Call(Interlocked.Increment(ref _nextId), stream);
        _calls[call.Id] = call;
        if (!_alive)
        {
            _calls.TryRemove(call.Id, out _);
            throw Exited();
        }

        return call;
    }

    public async Task SendRequestAsync(long id, bool stream, IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        var frame = new WorkerFrame
        {
            Type = FrameType.Request,
            Id = id,
            Stream = stream,
            Messages = JsonSerializer.SerializeToElement(messages.ToList(), AIJsonUtilities.DefaultOptions),
            Options = WireOptions.From(options),
        };
        try
        {
            await WriteAsync(frame, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            _calls.TryRemove(id, out _);
            throw Exited();
        }
    }

    public void CancelQuietly(long id)
    {
        if (_calls.TryRemove(id, out var call))
        {
            call.Fail(new OperationCanceledException());
        }

        _ = WriteAsync(new WorkerFrame { Type = FrameType.Cancel, Id = id }, CancellationToken.None)
            .ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _alive = false;
        _closing.Cancel();
        _socket.Dispose(); // the worker sees the end of its connection and exits
        if (!_process.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            Kill(_process);
        }

        _process.Dispose();
        _stream.Dispose();
        _writeLock.Dispose();
        _closing.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // a leftover temporary folder is harmless
        }
    }

    private async Task WriteAsync(WorkerFrame frame, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await WorkerFrame.WriteAsync(_stream, frame, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task ReadLoopAsync(Action<WorkerConnection, bool> onExit)
    {
        try
        {
            while (await WorkerFrame.ReadAsync(_stream, _closing.Token).ConfigureAwait(false) is { } frame)
            {
                Route(frame);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidDataException)
        {
            // the connection ended: the worker died, or we are closing it
        }

        _alive = false;
        var crashed = Volatile.Read(ref _disposed) == 0;
        if (crashed)
        {
            await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            LogExited(_logger, _modelName, _process.Id, _process.HasExited ? _process.ExitCode : -1, _calls.Count);
        }

        var error = Exited();
        foreach (var id in _calls.Keys)
        {
            if (_calls.TryRemove(id, out var call))
            {
                call.Fail(error);
            }
        }

        onExit(this, crashed);
    }

    private void Route(WorkerFrame frame)
    {
        if (frame.Type == FrameType.Update)
        {
            if (_calls.TryGetValue(frame.Id, out var streaming) && frame.Payload is { } update)
            {
                streaming.Updates?.Writer.TryWrite(update);
            }

            return;
        }

        if (!_calls.TryRemove(frame.Id, out var call))
        {
            return; // cancelled meanwhile
        }

        switch (frame.Type)
        {
            case FrameType.Response:
                call.Complete(frame.Payload);
                break;
            case FrameType.Failure:
                call.Fail(frame.Kind switch
                {
                    FailureKind.Rejected => new WorkerRequestRejectedException(frame.Message ?? "The model refused the request."),
                    FailureKind.Invalid => new ArgumentException(frame.Message),
                    FailureKind.Cancelled => new OperationCanceledException(),
                    _ => new InvalidOperationException($"The engine worker for model '{_modelName}' failed the request ({frame.Message ?? "unknown error"})."),
                });
                break;
            default:
                call.Fail(new InvalidDataException($"worker protocol: unexpected frame '{frame.Type}' from the worker."));
                break;
        }
    }

    private EngineWorkerExitedException Exited()
    {
        var code = _process.HasExited ? _process.ExitCode : (int?)null;
        var how = code is { } c ? $"exited with code {c}{Signal(c)}" : "closed its connection";
        return new EngineWorkerExitedException(
            $"The engine worker for model '{_modelName}' (process {_process.Id}) {how} while serving this request: {LastError()}. " +
            "What was stored is kept; the run can be resumed, and the next request starts a new worker.");
    }

    private static string Signal(int exitCode) => exitCode switch
    {
        134 => " (SIGABRT: llama.cpp aborted)",
        137 => " (SIGKILL: killed, e.g. out of memory)",
        139 => " (SIGSEGV)",
        _ => "",
    };

    private void ReadErrors() => _ = Task.Run(async () =>
    {
        while (await _process.StandardError.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            lock (_lastErrors)
            {
                _lastErrors.Enqueue(line);
                if (_lastErrors.Count > 5)
                {
                    _lastErrors.Dequeue();
                }
            }
        }
    });

    private string LastError()
    {
        lock (_lastErrors)
        {
            return _lastErrors.LastOrDefault(l => l.Trim().Length > 0) ?? "no error output";
        }
    }

    private static async Task<string> LastLineAsync(Process process)
    {
        var text = await process.StandardError.ReadToEndAsync().ConfigureAwait(false);
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "no error output";
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // it has exited
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Engine worker for {Model} started (process {ProcessId}, {Sequences} sequences)")]
    private static partial void LogStarted(ILogger logger, string model, int processId, int sequences);

    [LoggerMessage(Level = LogLevel.Error, Message = "Engine worker for {Model} (process {ProcessId}) exited with code {ExitCode}; {InFlight} request(s) in flight failed")]
    private static partial void LogExited(ILogger logger, string model, int processId, int exitCode, int inFlight);

    /// <summary>One request in flight.</summary>
    internal sealed class Call(long id, bool stream)
    {
        public long Id { get; } = id;

        public TaskCompletionSource<JsonElement> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Channel<JsonElement>? Updates { get; } = stream ? Channel.CreateUnbounded<JsonElement>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true }) : null;

        public void Complete(JsonElement? payload)
        {
            if (Updates is not null)
            {
                Updates.Writer.TryComplete();
            }
            else if (payload is { } value)
            {
                Result.TrySetResult(value);
            }
            else
            {
                Result.TrySetException(new InvalidDataException("worker protocol: a response without a body."));
            }
        }

        public void Fail(Exception error)
        {
            if (Updates is not null)
            {
                Updates.Writer.TryComplete(error);
            }
            else
            {
                Result.TrySetException(error);
            }
        }
    }
}
