using Inference.Streaming.Contracts.Rest;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Inference.Streaming.PredictApi;

/// <summary>
/// <c>GET /health</c> (the seed's body: healthy or degraded), <c>/health/live</c> (the process
/// answers and no check tagged <c>live</c> fails: a wedged ingest loop) and <c>/health/ready</c>
/// (every check tagged <c>ready</c> passes; 503 otherwise).
/// </summary>
public static class HealthApi
{
    public const string ReadyTag = "ready";

    /// <summary>Checks whose failure means the process must be restarted (a wedged loop), not only kept out of
    /// rotation.</summary>
    public const string LiveTag = "live";

    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder routes)
    {
        routes.MapHealthChecks(
            "/health/live",
            new HealthCheckOptions { Predicate = check => check.Tags.Contains(LiveTag) }
        );
        routes.MapHealthChecks(
            "/health/ready",
            new HealthCheckOptions { Predicate = check => check.Tags.Contains(ReadyTag) }
        );
        routes
            .MapGet(
                "/health",
                async (
                    HealthCheckService health,
                    IHealthFacts facts,
                    TimeProvider time,
                    CancellationToken cancellationToken
                ) =>
                {
                    var report = await health.CheckHealthAsync(cancellationToken);
                    var checks = report.Entries.ToDictionary(
                        e => e.Key,
                        e => new HealthCheckEntry(e.Value.Status.ToString().ToLowerInvariant(), e.Value.Description),
                        StringComparer.Ordinal
                    );
                    // The seed reports only healthy or degraded; an unhealthy check makes the service degraded.
                    var status = report.Status == HealthStatus.Healthy ? "healthy" : "degraded";
                    return Results.Ok(
                        new HealthResponse(status, facts.ModelLoaded, facts.GpuAvailable, time.GetUtcNow(), checks)
                    );
                }
            )
            .WithName("GetHealth")
            .WithTags("Health");
        return routes;
    }
}
