using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Diagnostics;

/// <summary>Logs one summary line every <c>Diagnostics:SummaryInterval</c> while the stream runs.</summary>
public sealed class SummaryReporter(
    PipelineMetrics metrics,
    TimeProvider time,
    IOptions<DiagnosticsOptions> options,
    ILogger<SummaryReporter> logger
) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.SummaryInterval;
        if (interval <= TimeSpan.Zero)
        {
            return;
        }

        var previous = metrics.Totals();
        var last = time.GetTimestamp();
        using var timer = new PeriodicTimer(interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var totals = metrics.Totals();
                var now = time.GetTimestamp();
                var seconds = time.GetElapsedTime(last, now).TotalSeconds;
                DiagnosticsLog.Summary(
                    logger,
                    (totals.Ticks - previous.Ticks) / seconds,
                    totals.Bars,
                    totals.Decisions,
                    totals.Holds,
                    totals.Buys,
                    totals.Sells,
                    totals.MeanBatch,
                    totals.P99LatencyMs,
                    totals.DeadLetters
                );
                (previous, last) = (totals, now);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }
}
