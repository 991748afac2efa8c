namespace MedHelm.Cluster.Work;

/// <summary>
/// The keys of a run's coordinator grains: the run id for its instances, the run id + <see cref="JurySuffix"/> for its
/// jury phase (run ids are letters, digits, '.', '_' and '-': the suffix cannot be part of one).
/// </summary>
public static class CoordinatorKeys
{
    /// <summary>What a jury coordinator's key ends with.</summary>
    public const string JurySuffix = "/jury";

    /// <summary>The key of the run's jury coordinator.</summary>
    public static string Jury(string runId) => runId + JurySuffix;

    /// <summary>The run a coordinator key belongs to, and whether it is the run's jury phase.</summary>
    public static (string RunId, bool Jury) Parse(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.EndsWith(JurySuffix, StringComparison.Ordinal) ? (key[..^JurySuffix.Length], true) : (key, false);
    }
}
