using System.Diagnostics;
using System.Globalization;
using MedHelm.Application.Runs;
using MedHelm.Evaluation.Running;
using Spectre.Console;

namespace MedHelm.Cli.Rendering;

/// <summary>
/// Draws a run on stderr: notices as lines; progress on a terminal as one Spectre.Console bar per model × benchmark
/// (instances done, reused, tokens/s, ETA), otherwise as plain lines at the start, every 10 % and the end of each bar.
/// Only names and counts are shown, never prompt or output text.
/// </summary>
internal sealed class ConsoleRunObserver : IRunObserver
{
    private readonly Lock _gate = new();

    public void Notice(string message)
    {
        lock (_gate)
        {
            Console.Error.WriteLine(message);
        }
    }

    public async Task<IRunProgress> BeginProgressAsync(IReadOnlyList<ProgressItem> items, CancellationToken cancellationToken)
    {
        var phase = new Phase(this);
        if (!Console.IsErrorRedirected && AnsiConsole.Profile.Capabilities.Interactive)
        {
            var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            phase.Live = console.Progress()
                .AutoClear(false)
                .HideCompleted(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async ctx =>
                {
                    foreach (var item in items)
                    {
                        var task = ctx.AddTask(Markup.Escape(item.Label), autoStart: false, maxValue: Math.Max(item.Total, 1));
                        phase.Bars[item.Key] = new Bar(item.Label, item.Total, task);
                    }

                    ready.SetResult();
                    await phase.Done.Task;
                });
            await ready.Task.WaitAsync(cancellationToken);
            return phase;
        }

        foreach (var item in items)
        {
            phase.Bars[item.Key] = new Bar(item.Label, item.Total, null);
        }

        return phase;
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

    private sealed class Phase(ConsoleRunObserver owner) : IRunProgress
    {
        public Dictionary<string, Bar> Bars { get; } = new(StringComparer.Ordinal);

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task? Live { get; set; }

        public IProgress<EvaluationProgress> For(string key)
        {
            var bar = Bars[key];
            lock (owner._gate)
            {
                bar.Clock = Stopwatch.StartNew(); // tokens/s and ETA count from the start of this bar's work
                if (bar.Task is null)
                {
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{bar.Label}: {bar.Total} instances"));
                }
            }

            return new Sink(owner, bar);
        }

        public async ValueTask DisposeAsync()
        {
            Done.TrySetResult();
            if (Live is { } live)
            {
                await live;
            }
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

    private sealed class Sink(ConsoleRunObserver owner, Bar bar) : IProgress<EvaluationProgress>
    {
        public void Report(EvaluationProgress value) => owner.Report(bar, value);
    }
}
