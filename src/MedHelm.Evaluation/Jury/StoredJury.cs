using System.Text.Json;

namespace MedHelm.Evaluation.Jury;

/// <summary>Turns the stored <c>jury_ratings</c> rows of a run back into the jury's per-instance results.</summary>
public static class StoredJury
{
    /// <summary>
    /// One <see cref="JuryResult"/> per candidate, in candidate order, from the outcomes of <paramref name="judges"/>
    /// (null: every judge that left a row). An empty output is <see cref="JuryScoreBasis.EmptyResponse"/>; an output
    /// without any verdict is <see cref="JuryScoreBasis.NoVerdict"/>. Failed attempts (retries, and failures after every
    /// attempt) are rebuilt from the counts stored with each row, so reports count them as the live jury did.
    /// </summary>
    public static IReadOnlyList<JuryResult> ToResults(
        IReadOnlyList<JuryCandidate> candidates, IReadOnlyList<StoredJuryRating> ratings, IReadOnlyList<string>? judges = null)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(ratings);
        var byRequest = ratings.Where(r => judges is null || judges.Contains(r.Judge, StringComparer.Ordinal)).ToLookup(r => r.RequestId);
        var results = new List<JuryResult>(candidates.Count);
        foreach (var candidate in candidates)
        {
            if (string.IsNullOrWhiteSpace(candidate.Output))
            {
                results.Add(new JuryResult(candidate.InstanceId, [], JuryScoreBasis.EmptyResponse));
                continue;
            }

            var outcomes = byRequest[candidate.RequestId]
                .GroupBy(r => r.Judge, StringComparer.Ordinal)
                .OrderBy(g => judges is null ? 0 : IndexOf(judges, g.Key))
                .ThenBy(g => g.Key, StringComparer.Ordinal)
                .Select(Outcome)
                .ToArray();
            results.Add(new JuryResult(candidate.InstanceId, outcomes, outcomes.Any(o => o.Succeeded) ? JuryScoreBasis.Verdicts : JuryScoreBasis.NoVerdict));
        }

        return results;
    }

    private static JudgeOutcome Outcome(IGrouping<string, StoredJuryRating> rows)
    {
        var rated = rows.Where(r => r.Rating is not null && r.Criterion != StoredJuryRating.FailureCriterion).ToArray();
        if (rated.Length > 0)
        {
            var attempts = rated.Max(r => Detail(r.DetailJson, "attempts") is { ValueKind: JsonValueKind.Number } a ? a.GetInt32() : 1);
            var verdict = new JudgeVerdict(rated.ToDictionary(
                r => r.Criterion,
                r => new CriterionRating((int)r.Rating!.Value, Detail(r.DetailJson, "explanation") is { ValueKind: JsonValueKind.String } e ? e.GetString()! : ""),
                StringComparer.Ordinal));
            return new JudgeOutcome(rows.Key, verdict, null, Attempts(attempts, succeeded: true, "answer did not parse; retried"), null);
        }

        var failure = rows.FirstOrDefault(r => r.Criterion == StoredJuryRating.FailureCriterion);
        var reason = Detail(failure?.DetailJson, "failure") is { ValueKind: JsonValueKind.String } f ? f.GetString()! : "no verdict";
        var count = Detail(failure?.DetailJson, "attempts") is { ValueKind: JsonValueKind.Number } n ? n.GetInt32() : 1;
        return new JudgeOutcome(rows.Key, null, reason, Attempts(count, succeeded: false, reason), null);
    }

    private static JudgeAttempt[] Attempts(int count, bool succeeded, string failure) =>
        Enumerable.Range(1, Math.Max(1, count))
            .Select(n => new JudgeAttempt(n, succeeded && n == Math.Max(1, count) ? null : failure, null, null, TimeSpan.Zero))
            .ToArray();

    private static JsonElement? Detail(string? json, string property)
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(property, out var value) ? value.Clone() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static int IndexOf(IReadOnlyList<string> judges, string judge)
    {
        for (var i = 0; i < judges.Count; i++)
        {
            if (string.Equals(judges[i], judge, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return judges.Count;
    }
}
