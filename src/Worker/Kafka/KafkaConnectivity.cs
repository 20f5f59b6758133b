using Confluent.Kafka;
using Inference.Streaming.Worker.Diagnostics;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Inference.Streaming.Worker.Kafka;

/// <summary>
/// Whether the worker's clients can reach the cluster: librdkafka reports "all brokers down" as an
/// error, and any consumed record or acknowledged delivery proves the cluster reachable again.
/// <c>/health</c> is degraded in between. Client errors are counted by code.
/// </summary>
public sealed class KafkaConnectivity(PipelineMetrics metrics, TimeProvider time) : IHealthCheck
{
    private long _downSince = -1;

    public void OnError(Error error)
    {
        metrics.KafkaError(error.Code.ToString());
        if (error.Code == ErrorCode.Local_AllBrokersDown)
        {
            Interlocked.CompareExchange(ref _downSince, time.GetTimestamp(), -1);
        }
    }

    public void OnReachable()
    {
        if (Interlocked.Read(ref _downSince) >= 0)
        {
            Interlocked.Exchange(ref _downSince, -1);
        }
    }

    public Task<HealthCheckResult> CheckHealthAsync(
        HealthCheckContext context,
        CancellationToken cancellationToken = default
    )
    {
        var since = Interlocked.Read(ref _downSince);
        return Task.FromResult(
            since < 0
                ? HealthCheckResult.Healthy("Kafka reachable")
                : HealthCheckResult.Degraded(
                    $"all Kafka brokers unreachable for {time.GetElapsedTime(since).TotalSeconds:F1} s"
                )
        );
    }
}
