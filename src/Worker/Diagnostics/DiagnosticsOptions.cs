namespace Inference.Streaming.Worker.Diagnostics;

/// <summary>Operational output (<c>Diagnostics:*</c>).</summary>
public sealed class DiagnosticsOptions
{
    public const string Section = "Diagnostics";

    /// <summary>Period of the one-line stream summary; zero turns it off.</summary>
    public TimeSpan SummaryInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// <c>/health</c> is degraded while the consumer is more than this many records behind the end
    /// of its input partitions, summed (librdkafka statistics, every 5 s). Readiness is not affected:
    /// a lagging worker still answers predict.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(
        1L,
        long.MaxValue,
        ErrorMessage = "Diagnostics:MaxConsumerLag must be positive."
    )]
    public long MaxConsumerLag { get; set; } = 10_000;
}
