using System.Security.Claims;
using MedHelm.Application.Ports;
using MedHelm.Service.Access;
using Microsoft.AspNetCore.Http.HttpResults;

namespace MedHelm.Service.Apis;

/// <summary>Who is calling (<c>/api/v1/me</c>) and the append-only audit log (<c>/api/v1/audit</c>, admin).</summary>
public static class AuditApi
{
    /// <summary>The caller: the token's name and role.</summary>
    public sealed record CallerView(string Name, string Role);

    /// <summary>Maps the group.</summary>
    public static RouteGroupBuilder MapAuditApiV1(this IEndpointRouteBuilder app)
    {
        var group = app.MapApiGroup("/api/v1", "Access");
        group.MapGet("/me", (ClaimsPrincipal user) => TypedResults.Ok(new CallerView(Roles.Caller(user), user.FindFirstValue(ClaimTypes.Role) ?? "")))
            .RequireRole(AccessRole.Viewer).WithSummary("The caller's token name and role.");
        group.MapGet("/audit", AuditAsync).RequireRole(AccessRole.Admin).WithSummary("The audit log (of one run with runId), oldest first.");
        group.MapGet("/audit/verify", async (IAuditLog audit, CancellationToken ct) => TypedResults.Ok(await audit.VerifyAuditChainAsync(ct)))
            .RequireRole(AccessRole.Admin).WithSummary("Check the SHA-256 chain over the audit log; names the first broken link.");
        return group;
    }

    private static async Task<Ok<IReadOnlyList<AuditEvent>>> AuditAsync(string? runId, IAuditLog audit, CancellationToken ct) =>
        TypedResults.Ok(await audit.GetAuditAsync(runId, ct));
}
