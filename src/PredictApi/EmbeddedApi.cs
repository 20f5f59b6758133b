using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Inference.Streaming.PredictApi;

/// <summary><c>GET /api/v1/embedded</c>: the embedded broker, registry and API addresses.</summary>
public static class EmbeddedApi
{
    public static IEndpointRouteBuilder MapEmbeddedApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/api/v1/embedded", (IEmbeddedEnvironmentSource source) =>
                source.Current is { } environment
                    ? Results.Ok(environment)
                    : Results.Problem(
                        title: "Not embedded",
                        detail: "This worker runs against a real Kafka cluster (Kafka:BootstrapServers is set); there is no embedded broker or registry.",
                        statusCode: StatusCodes.Status404NotFound))
            .WithName("GetEmbeddedEnvironment")
            .WithTags("Embedded");
        return routes;
    }
}
