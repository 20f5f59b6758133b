using System.Globalization;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Ingest;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.UnitTests.Ingest;

public sealed class ConsumerLagHealthCheckTests
{
    [Theory]
    [InlineData(400, 200, 1_000, HealthStatus.Healthy)]
    [InlineData(700, 300, 1_000, HealthStatus.Healthy)]
    [InlineData(700, 301, 1_000, HealthStatus.Degraded)]
    [InlineData(90_000, 0, 10_000, HealthStatus.Degraded)]
    public async Task HealthIsDegradedWhileTheSummedLagPassesTheThreshold(
        long first,
        long second,
        long threshold,
        HealthStatus expected
    )
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new PipelineMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        metrics.ReplaceLag(
            new Dictionary<(string, int), long> { [("market-ticks", 0)] = first, [("market-ticks", 1)] = second }
        );
        var check = new ConsumerLagHealthCheck(
            metrics,
            Options.Create(new DiagnosticsOptions { MaxConsumerLag = threshold })
        );

        var result = await check.CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(expected, result.Status);
        Assert.Contains(
            (first + second).ToString(CultureInfo.InvariantCulture),
            result.Description,
            StringComparison.Ordinal
        );
    }
}
