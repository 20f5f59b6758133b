using System.ComponentModel.DataAnnotations;
using Inference.Streaming.Engine.Validation;

namespace Inference.Streaming.Engine.Features;

/// <summary>Bars and the paper portfolio (<c>Features:*</c>).</summary>
public sealed class FeatureOptions : IValidatableObject
{
    public const string Section = "Features";

    /// <summary>Bar length; <c>1.00:00:00</c> reproduces the seed's daily training setup.</summary>
    [TimeSpanRange(
        "00:00:00.001",
        "7.00:00:00",
        ErrorMessage = "Features:BarInterval must be between 1 ms and 7 days."
    )]
    public TimeSpan BarInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How far a partition's event time must pass a quiet symbol's bar end before that bar closes
    /// without a tick of its own; ticks later than that for the closed bar are dead-lettered as late.
    /// </summary>
    [TimeSpanRange("00:00:00", "1.00:00:00", ErrorMessage = "Features:LateTolerance must be between 0 and 1 day.")]
    public TimeSpan LateTolerance { get; set; } = TimeSpan.FromSeconds(2);

    [Range(1.0, 1e12)]
    public double InitialCapital { get; set; } = 100_000;

    /// <summary>
    /// Longest a tick waits for the partition's regime updates to catch up with its time (event-time
    /// alignment of the two input topics, like Kafka Streams' max.task.idle.ms). Past it the tick is
    /// processed with the regimes seen so far.
    /// </summary>
    [TimeSpanRange(
        "00:00:00",
        "00:10:00",
        ErrorMessage = "Features:RegimeAlignmentTimeout must be between 0 and 10 minutes."
    )]
    public TimeSpan RegimeAlignmentTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How far ahead of its partition's event time a tick or regime update may be. Beyond it the
    /// record is dead-lettered as <c>future-event</c> and advances nothing: one tick dated 9999
    /// would otherwise close every other symbol's bar and make every later tick late.
    /// </summary>
    [TimeSpanRange(
        "00:00:01",
        "7.00:00:00",
        ErrorMessage = "Features:MaxEventTimeSkew must be between 1 second and 7 days."
    )]
    public TimeSpan MaxEventTimeSkew { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// What "ahead" is measured from (see <see cref="Features.EventTimeReference"/>). <c>Auto</c>:
    /// the partition's watermark when the demo feed runs in this process (its clock is simulated),
    /// otherwise the later of the watermark and the wall clock.
    /// </summary>
    public EventTimeReference EventTimeReference { get; set; } = EventTimeReference.Auto;

    /// <summary>
    /// Events before this are refused as invalid: a partition with no event time yet has nothing
    /// else to tell a 1970 tick from the start of a replay.
    /// </summary>
    public DateTimeOffset MinEventTime { get; set; } = new(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Symbols this worker holds at most; ticks of further new symbols are dead-lettered as
    /// <c>symbol-limit</c>.</summary>
    [Range(1, 10_000_000, ErrorMessage = "Features:MaxSymbols must be between 1 and 10,000,000.")]
    public int MaxSymbols { get; set; } = 10_000;

    /// <summary>
    /// A symbol with no tick or regime update for this long in event time (its partition's
    /// watermark) leaves memory and the changelog gets its tombstone; if it returns it starts fresh.
    /// </summary>
    [TimeSpanRange(
        "00:00:01",
        "3650.00:00:00",
        ErrorMessage = "Features:SymbolIdleTimeout must be between 1 second and 10 years."
    )]
    public TimeSpan SymbolIdleTimeout { get; set; } = TimeSpan.FromDays(7);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (SymbolIdleTimeout <= BarInterval + LateTolerance)
        {
            yield return new ValidationResult(
                "Features:SymbolIdleTimeout must be longer than Features:BarInterval plus Features:LateTolerance, or "
                    + "a symbol's open bar could be evicted before it closes.",
                [nameof(SymbolIdleTimeout)]
            );
        }
    }
}
