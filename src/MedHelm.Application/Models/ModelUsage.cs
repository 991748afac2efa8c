using MedHelm.Application.Hosting;
using MedHelm.Application.Options;
using MedHelm.Application.Ports;
using MedHelm.Application.Runs;
using MedHelm.Evaluation.Results;

namespace MedHelm.Application.Models;

/// <summary>
/// Which queued or running runs use a stored model: a run in the service's queue (queued or running) or a run recorded
/// as running (a live CLI or service run) whose request or manifest names the model, its file, or a Models entry of its file,
/// as a model, a judge or the BERTScore model.
/// </summary>
internal sealed class ModelUsage(IResultsDatabase database, IReadOnlyDictionary<string, LocalModelOptions> configured, MedHelmPaths paths)
{
    /// <summary>The ids of the runs that use <paramref name="model"/>, in order.</summary>
    public async Task<IReadOnlyList<string>> RunsUsingAsync(StoredModel model, CancellationToken cancellationToken)
    {
        var arguments = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void Add(string runId, IEnumerable<string?> names) =>
            (arguments.TryGetValue(runId, out var list) ? list : arguments[runId] = []).AddRange(names.OfType<string>());

        foreach (var queued in await database.Queue.ListQueuedAsync(cancellationToken).ConfigureAwait(false))
        {
            if (queued.State is QueueState.Queued or QueueState.Running)
            {
                Add(queued.RunId, [.. queued.Request.Models, .. queued.Request.Jury, queued.Request.BertScoreModel]);
                if (queued.Request.Resume && await database.GetRunAsync(queued.RunId, cancellationToken).ConfigureAwait(false) is { } stored)
                {
                    Add(queued.RunId, ManifestArguments(stored));
                }
            }
        }

        foreach (var run in (await database.ListRunsAsync(cancellationToken).ConfigureAwait(false)).Where(r => r.Status == RunStatus.Running))
        {
            if (await database.GetRunAsync(run.RunId, cancellationToken).ConfigureAwait(false) is { } stored)
            {
                Add(run.RunId, ManifestArguments(stored));
            }
        }

        return arguments.Where(a => a.Value.Any(argument => Names(argument, model))).Select(a => a.Key).Order(StringComparer.Ordinal).ToArray();
    }

    private static IEnumerable<string?> ManifestArguments(RunRecord run)
    {
        if (RunManifestJson.Parse(run.RunId, run.ConfigurationJson) is not { } manifest)
        {
            return [];
        }

        return manifest.Plan.Models.Concat(manifest.Plan.Jury).Append(manifest.Plan.BertScoreModel)
            .Concat(manifest.Models.SelectMany(m => new[] { m.Name, m.File }))
            .Append(manifest.BertscoreModel?.Name).Append(manifest.BertscoreModel?.File);
    }

    /// <summary>True when <paramref name="argument"/> is the model's name, its file, or a Models entry of its file.</summary>
    private bool Names(string argument, StoredModel model)
    {
        if (string.Equals(argument, model.Name, StringComparison.Ordinal))
        {
            return true;
        }

        if (model.Path is null)
        {
            return false;
        }

        if (configured.TryGetValue(argument, out var entry))
        {
            return string.Equals(paths.Resolve(entry.File), model.Path, StringComparison.Ordinal);
        }

        try
        {
            return string.Equals(Path.GetFullPath(argument), model.Path, StringComparison.Ordinal);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return false; // not a path
        }
    }
}
