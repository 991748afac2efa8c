namespace MedHelm.Service.Apis;

/// <summary>The conventions every API group shares.</summary>
internal static class ApiGroups
{
    /// <summary>A group under <paramref name="prefix"/> tagged <paramref name="tag"/>, documenting the ProblemDetails errors every operation may return.</summary>
    public static RouteGroupBuilder MapApiGroup(this IEndpointRouteBuilder app, string prefix, string tag)
    {
        var group = app.MapGroup(prefix).WithTags(tag);
        foreach (var status in new[] { StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict })
        {
            group.ProducesProblem(status);
        }

        return group;
    }
}
