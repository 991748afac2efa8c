using System.Text.Json.Nodes;
using MedHelm.Service.Access;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace MedHelm.Service.OpenApi;

/// <summary>
/// Describes access in the OpenAPI document: the bearer token scheme, required by every operation, and each
/// operation's least role as <c>x-medhelm-role</c> (viewer, operator, admin), so a change of a route's role shows in the
/// approved document and the access test reads the roles from it.
/// </summary>
internal static class RoleDocumentTransformer
{
    public const string RoleExtension = "x-medhelm-role";
    private const string SchemeName = "bearer";

    public static void Register(OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "MedHelm.OnPrem service";
            document.Info.Description = "REST API of the evaluation appliance. Every operation needs an API token (`medhelm auth create-token --role ROLE`).";
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An API token: Authorization: Bearer mh_…",
            };
            document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, document)] = [] }];
            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            var role = context.Description.ActionDescriptor.EndpointMetadata.OfType<MinimumRoleAttribute>().LastOrDefault();
            if (role is not null)
            {
                operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
                operation.Extensions[RoleExtension] = new JsonNodeExtension(JsonValue.Create(Roles.Name(role.Role)));
            }

            return Task.CompletedTask;
        });
    }
}
