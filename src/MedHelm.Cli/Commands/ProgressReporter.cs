using MedHelm.Evaluation.Running;
using Spectre.Console;

namespace MedHelm.Cli.Commands;

/// <summary>
/// Draws evaluation progress: a Spectre.Console bar (instances, rate, ETA) on a terminal, plain log lines
/// (every 10%) when the output is redirected, as in CI or a service log.
/// </summary>
internal static class ProgressReporter
{
    public static async Task<T> RunAsync<T>(string label, int total, Func<IProgress<EvaluationProgress>, Task<T>> work)
    {
        if (!Console.IsErrorRedirected && AnsiConsole.Profile.Capabilities.Interactive)
        {
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            return await console.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask(label, maxValue: Math.Max(total, 1));
                    var result = await work(new SynchronousProgress(p =>
                    {
                        task.Value = p.Completed;
                        task.Description = $"{label} {p.Completed}/{p.Total}";
                    }));
                    task.Value = task.MaxValue;
                    return result;
                });
        }

        var lastDecile = -1;
        var started = DateTime.UtcNow;
        return await work(new SynchronousProgress(p =>
        {
            var decile = p.Total == 0 ? 10 : p.Completed * 10 / p.Total;
            if (decile == lastDecile)
            {
                return;
            }

            lastDecile = decile;
            var elapsed = DateTime.UtcNow - started;
            var rate = elapsed.TotalSeconds > 0 ? p.Completed / elapsed.TotalSeconds : 0;
            Console.Error.WriteLine($"{label}: {p.Completed}/{p.Total} instances ({rate:F1}/s)");
        }));
    }

    private sealed class SynchronousProgress(Action<EvaluationProgress> report) : IProgress<EvaluationProgress>
    {
        private readonly Lock _gate = new();

        public void Report(EvaluationProgress value)
        {
            lock (_gate)
            {
                report(value);
            }
        }
    }
}
