using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Inference.Streaming.Worker.Diagnostics;

/// <summary>
/// Publishes the health checks as <c>inference_health_status{check}</c> (2 healthy, 1 degraded,
/// 0 unhealthy; <c>check="overall"</c> is what <c>GET /health</c> reports), so Prometheus can alert
/// on a degraded worker. ASP.NET Core's health check publisher runs the checks every 10 seconds.
/// </summary>
public sealed class HealthMetrics : IHealthCheckPublisher
{
    public const string Overall = "overall";

    private readonly ConcurrentDictionary<string, int> _statuses = new(StringComparer.Ordinal);

    public HealthMetrics(IMeterFactory meters) =>
        meters
            .Create(PipelineMetrics.MeterName)
            .CreateObservableGauge(
                "inference_health_status",
                () =>
                    _statuses.Select(s => new Measurement<int>(
                        s.Value,
                        new KeyValuePair<string, object?>("check", s.Key)
                    )),
                unit: null,
                description: "Health of each check and of the whole worker (check=\"overall\"): 2 healthy, 1 "
                    + "degraded, 0 unhealthy"
            );

    public Task PublishAsync(HealthReport report, CancellationToken cancellationToken)
    {
        _statuses[Overall] = (int)report.Status;
        foreach (var (name, entry) in report.Entries)
        {
            _statuses[name] = (int)entry.Status;
        }

        return Task.CompletedTask;
    }
}
