using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MedHelm.Inference.Llama.Generation;

namespace MedHelm.Inference.Llama.Benchmarks;

/// <summary>A llama-batched-bench run could not be started, failed or printed nothing usable.</summary>
public sealed class BatchedBenchReferenceException(string message) : Exception(message);

/// <summary>
/// llama.cpp's own <c>llama-batched-bench</c>, run beside the engine on the same model with the same parameters
/// (prompt and generated tokens, parallel sequences, batch sizes, threads, context per sequence), so that the
/// engine's figures and the reference's come from the same machine in the same run.
/// </summary>
public sealed class BatchedBenchReference
{
    public BatchedBenchReference(string executable, TimeSpan? timeout = null)
    {
        if (!File.Exists(executable))
        {
            throw new BatchedBenchReferenceException(
                $"llama-batched-bench not found at '{executable}'. Build it with scripts/build-llama-native.sh, or pass --reference none.");
        }

        Executable = Path.GetFullPath(executable);
        Timeout = timeout ?? TimeSpan.FromMinutes(10);
    }

    public string Executable { get; }

    public TimeSpan Timeout { get; }

    /// <summary>
    /// The arguments for one parallelism: the row is run <paramref name="repetitions"/> + 1 times (the first discarded,
    /// as the engine's warm-up run is), with a context of <paramref name="parallel"/> x the engine's padded context per
    /// sequence, so both attend over the same KV size.
    /// </summary>
    public static IReadOnlyList<string> Arguments(string model, int parallel, int promptTokens, int genTokens, int threads, int repetitions, int batchSize, int microBatchSize)
    {
        var perSequence = LlamaContext.PaddedContextPerSequence(promptTokens + genTokens + 1);
        var levels = string.Join(',', Enumerable.Repeat(parallel.ToString(CultureInfo.InvariantCulture), repetitions + 1));
        return
        [
            "-m", model, "-c", (perSequence * parallel).ToString(CultureInfo.InvariantCulture),
            "-b", batchSize.ToString(CultureInfo.InvariantCulture), "-ub", microBatchSize.ToString(CultureInfo.InvariantCulture),
            "-npp", promptTokens.ToString(CultureInfo.InvariantCulture), "-ntg", genTokens.ToString(CultureInfo.InvariantCulture),
            "-npl", levels, "-t", threads.ToString(CultureInfo.InvariantCulture), "--output-format", "jsonl",
        ];
    }

    /// <summary>
    /// Runs one parallelism and returns the fastest generation row after the discarded first one. A run that exits 0
    /// having printed nothing at all (not even llama.cpp's start-up log; seen twice in CI, not reproduced) is run once
    /// more before it counts as a failure.
    /// </summary>
    public ParallelThroughput Measure(string model, int parallel, int promptTokens, int genTokens, int threads, int repetitions = 3, int batchSize = 2048, int microBatchSize = 512)
    {
        var (exitCode, stdout, stderr) = Run(model, parallel, promptTokens, genTokens, threads, repetitions, batchSize, microBatchSize);
        if (exitCode == 0 && string.IsNullOrWhiteSpace(stdout) && string.IsNullOrWhiteSpace(stderr))
        {
            (exitCode, stdout, stderr) = Run(model, parallel, promptTokens, genTokens, threads, repetitions, batchSize, microBatchSize);
        }

        var output = stdout + "\n" + stderr;
        if (exitCode != 0)
        {
            throw new BatchedBenchReferenceException($"'{Executable}' exited with code {exitCode}: {LastLines(stderr, 5)}");
        }

        var rows = Parse(output).Where(r => r.Parallel == parallel).ToArray();
        if (rows.Length == 0)
        {
            throw new BatchedBenchReferenceException(string.IsNullOrWhiteSpace(output)
                ? $"'{Executable}' exited 0 twice without printing anything for {parallel} sequences."
                : $"'{Executable}' printed no result row for {parallel} sequences: {LastLines(output, 5)}");
        }

        return rows.Skip(rows.Length > 1 ? 1 : 0).MaxBy(r => r.GenerationTokensPerSecond)!;
    }

    private (int ExitCode, string StdOut, string StdErr) Run(string model, int parallel, int promptTokens, int genTokens, int threads, int repetitions, int batchSize, int microBatchSize)
    {
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in Arguments(model, parallel, promptTokens, genTokens, threads, repetitions, batchSize, microBatchSize))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)
            ?? throw new BatchedBenchReferenceException($"Could not start '{Executable}'.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new BatchedBenchReferenceException($"'{Executable}' did not finish within {Timeout.TotalSeconds:F0} s and was stopped.");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>
    /// Reads the rows of <c>llama-batched-bench --output-format jsonl</c> (one JSON object per line; other lines,
    /// such as llama.cpp's log, are ignored).
    /// </summary>
    public static IReadOnlyList<ParallelThroughput> Parse(string output)
    {
        var rows = new List<ParallelThroughput>();
        foreach (var raw in output.Split('\n'))
        {
            var line = raw.Trim();
            if (!line.StartsWith('{') || !line.Contains("\"speed_tg\"", StringComparison.Ordinal))
            {
                continue;
            }

            try
            {
                using var json = JsonDocument.Parse(line);
                var r = json.RootElement;
                rows.Add(new ParallelThroughput(
                    r.GetProperty("pl").GetInt32(),
                    r.GetProperty("pp").GetInt32(),
                    r.GetProperty("tg").GetInt32(),
                    r.GetProperty("t_pp").GetDouble(),
                    r.GetProperty("t_tg").GetDouble()));
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new BatchedBenchReferenceException($"llama-batched-bench printed a result line that could not be read ({e.Message}): {line}");
            }
        }

        return rows;
    }

    private static string LastLines(string text, int count) =>
        string.Join(" | ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(count));
}
