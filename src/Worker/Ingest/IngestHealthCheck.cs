using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Inference.Streaming.Worker.Ingest;

/// <summary>Ready once the consumer has its partitions.</summary>
public sealed class IngestHealthCheck(IngestService ingest) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(
        HealthCheckContext context,
        CancellationToken cancellationToken = default
    ) =>
        Task.FromResult(
            ingest.IsAssigned
                ? HealthCheckResult.Healthy("consumer assigned")
                : HealthCheckResult.Unhealthy("consumer not assigned yet")
        );
}
