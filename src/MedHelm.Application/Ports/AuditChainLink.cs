using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace MedHelm.Application.Ports;

/// <summary>
/// The link of one audit row in the audit chain, the same for every storage provider: SHA-256 (lower-case hex) over the
/// previous row's link and the row's own id, time, run, event and details, as one JSON array (so no two rows hash alike by
/// shifting text between fields). A changed row, a removed row or a removed link breaks the chain from there on.
/// </summary>
public static class AuditChainLink
{
    /// <summary>The link of a row after <paramref name="previous"/> (null for the first row).</summary>
    public static string Compute(string? previous, long id, string atUtc, string? runId, string eventName, string detailJson) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            JsonSerializer.Serialize(new object?[] { previous ?? "", id, atUtc, runId, eventName, detailJson }))));
}
