using System.Reflection;
using Inference.Streaming.Contracts.Rest;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Inference.Streaming.PredictApi;

/// <summary>
/// <c>GET /</c> (the seed's service probe: name, version, <c>operational</c>) and
/// <c>GET /api/v1/embedded</c> (the embedded broker, registry and API addresses).
/// </summary>
public static class EmbeddedApi
{
    public const string ServiceName = "inference-streaming-worker";

    /// <summary>The build's informational version (<c>1.0.0+commit</c>).</summary>
    public static string ServiceVersion { get; } =
        (Assembly.GetEntryAssembly() ?? typeof(EmbeddedApi).Assembly)
            .GetCustomAttribute<AssemblyInformationalVersionAttribute>()
            ?.InformationalVersion
        ?? "unknown";

    public static IEndpointRouteBuilder MapServiceInfo(this IEndpointRouteBuilder routes)
    {
        routes
            .MapGet("/", () => Results.Ok(new ServiceInfo(ServiceName, ServiceVersion, "operational")))
            .WithName("GetServiceInfo")
            .WithTags("Health");
        return routes;
    }

    public static IEndpointRouteBuilder MapEmbeddedApi(this IEndpointRouteBuilder routes)
    {
        routes
            .MapGet(
                "/api/v1/embedded",
                (IEmbeddedEnvironmentSource source) =>
                    source.Current is { } environment
                        ? Results.Ok(environment)
                        : Results.Problem(
                            title: "Not embedded",
                            detail: "This worker runs against a real Kafka cluster (Kafka:BootstrapServers is set); "
                                + "there is no embedded broker or registry.",
                            statusCode: StatusCodes.Status404NotFound
                        )
            )
            .WithName("GetEmbeddedEnvironment")
            .WithTags("Embedded");
        return routes;
    }
}
