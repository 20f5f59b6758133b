using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Inference.Streaming.PredictApi;

/// <summary><c>GET /api/v1/models</c> and <c>POST /api/v1/models/reload</c>.</summary>
public static class ModelsApi
{
    public static IEndpointRouteBuilder MapModelsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/models").WithTags("Models");
        group.MapGet("/", (IModelCatalogView catalog) => catalog.Describe() is { } models
                ? Results.Ok(models)
                : Results.Problem(title: "Models not loaded", detail: "The models are still loading.", statusCode: StatusCodes.Status503ServiceUnavailable))
            .WithName("ListModels");
        group.MapPost("/reload", async (IModelCatalogView catalog, CancellationToken cancellationToken) => Results.Ok(await catalog.ReloadAsync(cancellationToken)))
            .WithName("ReloadModels")
            .AddEndpointFilter<ApiKeyFilter>();
        return routes;
    }
}
