using System.Diagnostics;

namespace MedHelm.Cli.Tests.Support;

/// <summary>Runs the real medhelm CLI (built beside the tests) in a child process, so native failures cannot take the test host down.</summary>
public static class CliProcess
{
    public static string RepositoryRoot => RepositoryPaths.Root;

    /// <param name="timeoutSeconds">The limit on a 2-core machine; <see cref="TestTimeouts.Scale(TimeSpan)"/> stretches it.</param>
    /// <param name="standardInput">Text written to the process's standard input before it is closed (e.g. a password), or nothing.</param>
    public static async Task<CliResult> RunAsync(
        IEnumerable<string> arguments, string? home = null, IDictionary<string, string>? environment = null, int timeoutSeconds = 300, string? standardInput = null)
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

        start.Environment["MEDHELM_HOME"] = home ?? RepositoryRoot;
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        return await RunAsync(start, $"medhelm {string.Join(' ', arguments)}", timeoutSeconds, standardInput);
    }

    /// <summary>Runs any prepared process (output and input redirected) to its end, killed with its children past the scaled limit.</summary>
    public static async Task<CliResult> RunAsync(ProcessStartInfo start, string description, int timeoutSeconds, string? standardInput = null)
    {
        using var process = Process.Start(start)!;
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
        }

        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var limit = TestTimeouts.Scale(TimeSpan.FromSeconds(timeoutSeconds));
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{description} did not finish in {limit.TotalSeconds:0} s ({TestTimeouts.FactorVariable} stretches the limit).");
        }

        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs a script of the repository (<paramref name="script"/> relative to its root) under bash.</summary>
    public static Task<CliResult> RunScriptAsync(string script, IEnumerable<string> arguments, int timeoutSeconds)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryRoot,
        };
        start.ArgumentList.Add(Path.IsPathRooted(script) ? script : Path.Combine(RepositoryRoot, script));
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        return RunAsync(start, $"{script} {string.Join(' ', arguments)}", timeoutSeconds);
    }
}

public sealed record CliResult(int ExitCode, string StdOut, string StdErr)
{
    /// <summary>Lines of stderr that are not empty.</summary>
    public IReadOnlyList<string> ErrorLines => StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{StdOut}\nstderr:\n{StdErr}";
}
