using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.Routing;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace Inference.Streaming.PredictApi;

/// <summary>
/// The API's own description: the OpenAPI document at <c>/openapi/v1.json</c> (and <c>/openapi.json</c>, the
/// path FastAPI served it at), with the two credentials the API takes as security schemes on the operations
/// that need them, and an API reference UI at <c>/docs</c> (Scalar, served from the package, no CDN).
/// </summary>
public static class ApiDocuments
{
    public const string ApiKeyScheme = "ApiKey";
    public const string BearerScheme = "Bearer";

    /// <summary>The operations that take credentials (when any are configured): predict and everything that
    /// changes what the worker serves.</summary>
    private static readonly string[] Protected = ["/api/v1/predict", "/api/v1/models/reload", "/api/v1/models/promote"];

    public static OpenApiOptions AddSecuritySchemes(this OpenApiOptions options) =>
        options.AddDocumentTransformer(
            (document, _, _) =>
            {
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[ApiKeyScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.ApiKey,
                    In = ParameterLocation.Header,
                    Name = ApiOptions.KeyHeader,
                    Description = "An API key of Api:Keys; grants the scopes Api:KeyScopes gives it.",
                };
                document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    BearerFormat = "JWT",
                    Description = "A JWT of Api:Jwt; scopes from its scope or scp claim (predict, models:write).",
                };

                foreach (var path in Protected)
                {
                    if (document.Paths?.TryGetValue(path, out var item) != true || item?.Operations is null)
                    {
                        continue;
                    }

                    foreach (var operation in item.Operations.Values)
                    {
                        // Either credential is accepted: two alternative requirements.
                        operation.Security =
                        [
                            new OpenApiSecurityRequirement
                            {
                                [new OpenApiSecuritySchemeReference(ApiKeyScheme, document)] = [],
                            },
                            new OpenApiSecurityRequirement
                            {
                                [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [],
                            },
                        ];
                    }
                }

                return Task.CompletedTask;
            }
        );

    /// <summary>Maps the OpenAPI document, its <c>/openapi.json</c> alias and the reference UI at
    /// <c>/docs</c>.</summary>
    public static IEndpointRouteBuilder MapApiDocuments(this IEndpointRouteBuilder app)
    {
        app.MapOpenApi();
        // Without a {documentName} in its pattern the document endpoint serves the default document, v1.
        app.MapOpenApi("/openapi.json");
        app.MapScalarApiReference(
            "/docs",
            options =>
                options.WithTitle("Inference.Streaming API").WithOpenApiRoutePattern("/openapi/{documentName}.json")
        );
        return app;
    }
}
