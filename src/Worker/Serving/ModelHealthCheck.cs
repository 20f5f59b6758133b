using Inference.Streaming.Engine.Inference;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Inference.Streaming.Worker.Serving;

/// <summary>
/// Healthy with every model loaded; degraded when some were refused or the last reload failed (the
/// previous set serving); unhealthy with none.
/// </summary>
public sealed class ModelHealthCheck(IModelCatalog catalog) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(
        HealthCheckContext context,
        CancellationToken cancellationToken = default
    )
    {
        if (!catalog.IsLoaded)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("models are loading"));
        }

        using var lease = catalog.Acquire();
        var set = lease.Set;
        var refused = string.Join("; ", set.Errors.Select(e => $"{e.Name}: {e.Reason}"));
        if (set.Models.Count > 0 && catalog.LastReloadError is { } reloadError)
        {
            return Task.FromResult(
                HealthCheckResult.Degraded(
                    $"the last reload failed ({reloadError}); generation {set.Generation} keeps serving"
                )
            );
        }

        return Task.FromResult(
            set.Models.Count == 0 ? HealthCheckResult.Unhealthy("no model loaded: " + refused)
            : set.Errors.Count > 0 ? HealthCheckResult.Degraded($"{set.Models.Count} models loaded; refused: {refused}")
            : HealthCheckResult.Healthy($"{set.Models.Count} models loaded (generation {set.Generation})")
        );
    }
}
