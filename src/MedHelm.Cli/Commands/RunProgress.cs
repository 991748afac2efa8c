using System.Diagnostics;
using System.Globalization;
using MedHelm.Evaluation.Running;
using Spectre.Console;

namespace MedHelm.Cli.Commands;

/// <summary>
/// Progress of a run: on a terminal one Spectre.Console bar per model × benchmark (instances done, reused,
/// tokens/s, ETA); otherwise plain lines on stderr at the start, every 10 % and the end of each bar. Only names
/// and counts are shown, never prompt or output text.
/// </summary>
internal sealed class RunProgress
{
    private readonly Dictionary<string, Bar> _bars = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    private RunProgress()
    {
    }

    /// <summary>Runs <paramref name="work"/> with bars for <paramref name="bars"/> (key, label, instances).</summary>
    public static async Task<T> RunAsync<T>(IReadOnlyList<(string Key, string Label, int Total)> bars, Func<RunProgress, Task<T>> work)
    {
        var progress = new RunProgress();
        if (!Console.IsErrorRedirected && AnsiConsole.Profile.Capabilities.Interactive)
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            return await console.Progress()
                .AutoClear(false)
                .HideCompleted(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async ctx =>
                {
                    foreach (var (key, label, total) in bars)
                    {
                        var task = ctx.AddTask(Markup.Escape(label), autoStart: false, maxValue: Math.Max(total, 1));
                        progress._bars[key] = new Bar(label, total, task);
                    }

                    return await work(progress);
                });
        }

        foreach (var (key, label, total) in bars)
        {
            progress._bars[key] = new Bar(label, total, null);
        }

        return await work(progress);
    }

    /// <summary>The progress sink of one bar.</summary>
    public IProgress<EvaluationProgress> For(string key)
    {
        var bar = _bars[key];
        lock (_gate)
        {
            bar.Clock = Stopwatch.StartNew(); // tokens/s and ETA count from the start of this bar's work
            if (bar.Task is null)
            {
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{bar.Label}: {bar.Total} instances"));
            }
        }

        return new Sink(this, bar);
    }

    /// <summary>Marks a bar as skipped or finished without work (e.g. the model failed to load).</summary>
    public void Finish(string key)
    {
        lock (_gate)
        {
            var bar = _bars[key];
            if (bar.Task is { } task)
            {
                task.StartTask();
                task.Value = task.MaxValue;
                task.StopTask();
            }
        }
    }

    private void Report(Bar bar, EvaluationProgress p)
    {
        lock (_gate)
        {
            bar.Clock ??= Stopwatch.StartNew();
            var seconds = bar.Clock.Elapsed.TotalSeconds;
            var rate = seconds > 0 ? p.Tokens / seconds : 0;
            var text = string.Create(CultureInfo.InvariantCulture,
                $"{bar.Label}  {p.Completed}/{p.Total}{(p.Reused > 0 ? $" ({p.Reused} reused)" : "")}  {rate:0} tok/s");
            if (bar.Task is { } task)
            {
                task.StartTask();
                task.Description = Markup.Escape(text);
                task.Value = p.Completed;
                if (p.Completed >= p.Total)
                {
                    task.StopTask();
                }

                return;
            }

            var decile = p.Total == 0 ? 10 : p.Completed * 10 / p.Total;
            if (decile == bar.LastDecile)
            {
                return;
            }

            bar.LastDecile = decile;
            var computed = p.Completed - p.Reused;
            var instancesPerSecond = seconds > 0 ? computed / seconds : 0;
            var eta = instancesPerSecond > 0 ? TimeSpan.FromSeconds((p.Total - p.Completed) / instancesPerSecond) : (TimeSpan?)null;
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{text}{(eta is { } e && p.Completed < p.Total ? $"  ETA {e:hh\\:mm\\:ss}" : "")}"));
        }
    }

    private sealed class Bar(string label, int total, ProgressTask? task)
    {
        public string Label { get; } = label;

        public int Total { get; } = total;

        public ProgressTask? Task { get; } = task;

        public Stopwatch? Clock { get; set; }

        public int LastDecile { get; set; } = -1;
    }

    private sealed class Sink(RunProgress owner, Bar bar) : IProgress<EvaluationProgress>
    {
        public void Report(EvaluationProgress value) => owner.Report(bar, value);
    }
}
