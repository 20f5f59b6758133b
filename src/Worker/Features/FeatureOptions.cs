using System.ComponentModel.DataAnnotations;

namespace Inference.Streaming.Worker.Features;

/// <summary>Bars and the paper portfolio (<c>Features:*</c>).</summary>
public sealed class FeatureOptions
{
    public const string Section = "Features";

    /// <summary>Bar length; <c>1.00:00:00</c> reproduces the seed's daily training setup.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "7.00:00:00", ErrorMessage = "Features:BarInterval must be between 1 ms and 7 days.")]
    public TimeSpan BarInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How far a partition's event time must pass a quiet symbol's bar end before that bar closes
    /// without a tick of its own; ticks later than that for the closed bar are dead-lettered as late.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00", ErrorMessage = "Features:LateTolerance must be between 0 and 1 day.")]
    public TimeSpan LateTolerance { get; set; } = TimeSpan.FromSeconds(2);

    [Range(1.0, 1e12)]
    public double InitialCapital { get; set; } = 100_000;

    /// <summary>
    /// Longest a tick waits for the partition's regime updates to catch up with its time (event-time
    /// alignment of the two input topics, like Kafka Streams' max.task.idle.ms). Past it the tick is
    /// processed with the regimes seen so far.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00", ErrorMessage = "Features:RegimeAlignmentTimeout must be between 0 and 10 minutes.")]
    public TimeSpan RegimeAlignmentTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
