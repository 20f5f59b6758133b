using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Ingest;

/// <summary>
/// Unhealthy while <see cref="IngestWatchdog"/> finds the ingest loop stalled: no turn for
/// <c>Diagnostics:IngestStallTimeout</c> while records wait. Tagged for readiness and liveness: a
/// loop stuck in one record decides nothing and only a restart frees it.
/// </summary>
public sealed class IngestStallHealthCheck(IngestWatchdog watchdog, IOptions<Diagnostics.DiagnosticsOptions> options)
    : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(
        HealthCheckContext context,
        CancellationToken cancellationToken = default
    )
    {
        var state = watchdog.State;
        return Task.FromResult(
            state switch
            {
                { Running: false } => HealthCheckResult.Healthy("ingest loop not started"),
                { Stalled: true } => HealthCheckResult.Unhealthy(
                    $"ingest loop stalled: no progress for {state.SinceLastTurn.TotalSeconds:F0} s "
                        + $"(Diagnostics:IngestStallTimeout {options.Value.IngestStallTimeout.TotalSeconds:F0} s) "
                        + $"with {state.RecordsWaiting} records waiting"
                ),
                _ => HealthCheckResult.Healthy(
                    $"ingest loop turning (last turn {state.SinceLastTurn.TotalMilliseconds:F0} ms ago)"
                ),
            }
        );
    }
}
