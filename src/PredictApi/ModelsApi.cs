using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Inference.Streaming.PredictApi;

/// <summary><c>GET /api/v1/models</c>, <c>POST /api/v1/models/reload</c> (problem details when a model is
/// refused) and <c>POST /api/v1/models/promote</c>.</summary>
public static class ModelsApi
{
    public static IEndpointRouteBuilder MapModelsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/models").WithTags("Models");
        group
            .MapGet(
                "/",
                (IModelCatalogView catalog) =>
                    catalog.Describe() is { } models
                        ? Results.Ok(models)
                        : Results.Problem(
                            title: "Models not loaded",
                            detail: "The models are still loading.",
                            statusCode: StatusCodes.Status503ServiceUnavailable
                        )
            )
            .WithName("ListModels");
        group.MapPost("/reload", ReloadAsync).WithName("ReloadModels").RequireApiScope(ApiScopes.ModelsWrite);
        group.MapPost("/promote", PromoteAsync).WithName("PromoteModels").RequireApiScope(ApiScopes.ModelsWrite);
        return routes;
    }

    /// <summary>200 with the new roles; 409 when there is no loaded challenger (nothing changed).</summary>
    private static async Task<IResult> PromoteAsync(IModelCatalogView catalog, CancellationToken cancellationToken)
    {
        try
        {
            return Results.Ok(await catalog.PromoteAsync(cancellationToken));
        }
        catch (ControlUnavailableException ex)
        {
            return Unavailable(ex);
        }
        catch (InvalidOperationException ex)
        {
            return Results.Problem(
                title: "Nothing to promote",
                detail: ex.Message + " The champion keeps serving.",
                statusCode: StatusCodes.Status409Conflict
            );
        }
    }

    /// <summary>200 when every model loaded; 422 naming the refused files (the others serve), or refusing the
    /// whole set (a missing directory, files of the serving set gone: it keeps serving); 503 when the reload
    /// failed as a whole.</summary>
    private static async Task<IResult> ReloadAsync(IModelCatalogView catalog, CancellationToken cancellationToken)
    {
        try
        {
            var models = await catalog.ReloadAsync(cancellationToken);
            return models.Errors.Count == 0
                ? Results.Ok(models)
                : Results.Problem(
                    title: "Some models were refused",
                    detail: string.Join("; ", models.Errors.Select(e => $"{e.Name}: {e.Reason}")),
                    statusCode: StatusCodes.Status422UnprocessableEntity,
                    extensions: new Dictionary<string, object?>
                    {
                        ["errors"] = models.Errors,
                        ["generation"] = models.Generation,
                        ["loaded"] = models.Models.Keys.ToArray(),
                        ["total_models"] = models.TotalModels,
                    }
                );
        }
        catch (ControlUnavailableException ex)
        {
            return Unavailable(ex);
        }
        catch (ModelsReloadFailedException ex)
        {
            return Results.Problem(
                title: ex.Refused ? "Model reload refused" : "Model reload failed",
                detail: ex.Message + " The previous models keep serving.",
                statusCode: ex.Refused
                    ? StatusCodes.Status422UnprocessableEntity
                    : StatusCodes.Status503ServiceUnavailable,
                extensions: new Dictionary<string, object?> { ["generation"] = ex.Current?.Generation }
            );
        }
    }

    private static IResult Unavailable(ControlUnavailableException ex) =>
        Results.Problem(
            title: "Control command not applied",
            detail: ex.Message,
            statusCode: StatusCodes.Status503ServiceUnavailable
        );
}
