using System.Diagnostics;
using System.Text;

namespace MedHelm.Cli.Tests.Support;

/// <summary>
/// The real medhelm CLI started in a child process that the test can watch line by line and kill
/// (<see cref="Process.Kill()"/> is SIGKILL on Linux) or interrupt (SIGINT, as Ctrl+C).
/// </summary>
public sealed class RunningCli : IDisposable
{
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly Lock _gate = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Seen)> _waiters = [];
    private readonly Task _readers;

    private RunningCli(Process process)
    {
        Process = process;
        _readers = PumpBothAsync(process);
    }

    public Process Process { get; }

    public static RunningCli Start(IEnumerable<string> arguments, string home)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "medhelm.dll"));
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["MEDHELM_HOME"] = home;
        var process = Process.Start(start)!;
        process.StandardInput.Close();
        return new RunningCli(process);
    }

    /// <summary>
    /// Completes with the first line (stdout or stderr) for which <paramref name="match"/> holds; faults if the process
    /// exits first, and with a <see cref="TimeoutException"/> when no such line came within the (scaled) time limit.
    /// </summary>
    public Task<string> WaitForLineAsync(Func<string, bool> match, int timeoutSeconds = 300)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _waiters.Add((match, seen));
        }

        return seen.Task.WaitAsync(TestTimeouts.Scale(TimeSpan.FromSeconds(timeoutSeconds)));
    }

    /// <summary>What the process printed so far (stdout, then stderr), while it runs.</summary>
    public string Snapshot()
    {
        lock (_gate)
        {
            return _stdout.ToString() + _stderr;
        }
    }

    /// <summary>SIGKILL: no handler runs, nothing is flushed.</summary>
    public void Kill() => Process.Kill();

    /// <summary>SIGINT, as Ctrl+C in a terminal.</summary>
    public void Interrupt()
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-INT", Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit();
    }

    /// <param name="timeoutSeconds">The limit on a 2-core machine; <see cref="TestTimeouts.Scale(TimeSpan)"/> stretches it.</param>
    public async Task<CliResult> WaitAsync(int timeoutSeconds = 300)
    {
        var limit = TestTimeouts.Scale(TimeSpan.FromSeconds(timeoutSeconds));
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await Process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Process.Kill(entireProcessTree: true);
            throw new TimeoutException($"medhelm did not finish in {limit.TotalSeconds:0} s ({TestTimeouts.FactorVariable} stretches the limit).");
        }

        await _readers;
        lock (_gate)
        {
            return new CliResult(Process.ExitCode, _stdout.ToString(), _stderr.ToString());
        }
    }

    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
        }

        Process.Dispose();
    }

    private async Task PumpAsync(StreamReader reader, StringBuilder sink)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (_gate)
            {
                sink.Append(line).Append('\n');
                foreach (var waiter in _waiters.Where(w => w.Match(line)).ToArray())
                {
                    waiter.Seen.TrySetResult(line);
                    _waiters.Remove(waiter);
                }
            }
        }

    }

    private async Task PumpBothAsync(Process process)
    {
        await Task.WhenAll(PumpAsync(process.StandardOutput, _stdout), PumpAsync(process.StandardError, _stderr));
        lock (_gate)
        {
            foreach (var waiter in _waiters)
            {
                waiter.Seen.TrySetException(new InvalidOperationException("The process ended before the line appeared."));
            }

            _waiters.Clear();
        }
    }
}
