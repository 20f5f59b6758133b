using Inference.Streaming.Worker.Diagnostics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Ingest;

/// <summary>Degraded while the consumer's total lag passes <c>Diagnostics:MaxConsumerLag</c>.</summary>
public sealed class ConsumerLagHealthCheck(PipelineMetrics metrics, IOptions<DiagnosticsOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(
        HealthCheckContext context,
        CancellationToken cancellationToken = default
    )
    {
        var lag = metrics.TotalLag();
        var limit = options.Value.MaxConsumerLag;
        return Task.FromResult(
            lag > limit
                ? HealthCheckResult.Degraded($"consumer lag {lag} records, over Diagnostics:MaxConsumerLag ({limit})")
                : HealthCheckResult.Healthy($"consumer lag {lag} records")
        );
    }
}
