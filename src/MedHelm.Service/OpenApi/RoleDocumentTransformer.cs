using System.Text.Json.Nodes;
using MedHelm.Service.Access;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace MedHelm.Service.OpenApi;

/// <summary>
/// Describes access in the OpenAPI document: the bearer token and session cookie schemes (one of them required by every operation), and each
/// operation's least role as <c>x-medhelm-role</c> (viewer, operator, admin), so a change of a route's role shows in the
/// approved document and the access test reads the roles from it.
/// </summary>
internal static class RoleDocumentTransformer
{
    public const string RoleExtension = "x-medhelm-role";
    private const string SchemeName = "bearer";
    private const string SessionSchemeName = "session";

    public static void Register(OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "MedHelm.OnPrem service";
            document.Info.Description = "REST API of the evaluation appliance. Every operation needs an API token (`medhelm auth create-token --role ROLE`) "
                + "or a dashboard session cookie (sign in at /login with an account from `medhelm auth create-user`; state-changing requests "
                + "made with the cookie also need the antiforgery token, in the RequestVerificationToken header).";
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An API token: Authorization: Bearer mh_…",
            };
            document.Components.SecuritySchemes[SessionSchemeName] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Cookie,
                Name = SessionAuthentication.CookieName,
                Description = "A dashboard session (POST /login); it ends after Service:SessionIdleMinutes without a request.",
            };
            document.Security =
            [
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, document)] = [] },
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SessionSchemeName, document)] = [] },
            ];
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
