using Inference.Streaming.Engine.Validation;

namespace Inference.Streaming.Worker.Diagnostics;

/// <summary>Operational output (<c>Diagnostics:*</c>).</summary>
public sealed class DiagnosticsOptions
{
    public const string Section = "Diagnostics";

    /// <summary>Period of the one-line stream summary; zero turns it off.</summary>
    public TimeSpan SummaryInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// <c>/health</c> is degraded while the consumer is more than this many records behind the end
    /// of its input partitions, summed (the brokers' high watermarks against the ingest loop's
    /// positions, every 2 s). Readiness is not affected:
    /// a lagging worker still answers predict.
    /// </summary>
    [System.ComponentModel.DataAnnotations.Range(
        1L,
        long.MaxValue,
        ErrorMessage = "Diagnostics:MaxConsumerLag must be positive."
    )]
    public long MaxConsumerLag { get; set; } = 10_000;

    /// <summary>
    /// The ingest loop is stalled when it has not turned for this long while records wait on its
    /// partitions: <c>/health</c>, <c>/health/ready</c> and <c>/health/live</c> fail and
    /// <c>inference_ingest_stalled</c> is 1. Above the longest legitimate pause of the loop (a
    /// checkpoint waits up to 15 s for acknowledgements and the changelog).
    /// </summary>
    [TimeSpanRange(
        "00:00:01",
        "1.00:00:00",
        ErrorMessage = "Diagnostics:IngestStallTimeout must be between 1 second and 1 day."
    )]
    public TimeSpan IngestStallTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
