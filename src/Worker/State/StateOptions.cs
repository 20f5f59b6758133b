using Inference.Streaming.Engine.Validation;

namespace Inference.Streaming.Worker.State;

/// <summary>State checkpoints (<c>State:*</c>).</summary>
public sealed class StateOptions
{
    public const string Section = "State";

    /// <summary>How often the changelog gets a checkpoint (and input offsets are stored). A restart reprocesses at most
    /// this much input.</summary>
    [TimeSpanRange(
        "00:00:00.010",
        "00:10:00",
        ErrorMessage = "State:CheckpointInterval must be between 10 ms and 10 minutes."
    )]
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Longest time a symbol's newest snapshot may stay the newest: a checkpoint rewrites every
    /// symbol not written for this long, changed or not. A broker that removes old records (the
    /// embedded broker's retention, a topic without compaction) then always keeps every symbol in
    /// the newest stretch of the changelog this long; restore checks that it does.
    /// </summary>
    [TimeSpanRange(
        "00:00:01",
        "1.00:00:00",
        ErrorMessage = "State:RefreshInterval must be between 1 second and 1 day."
    )]
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMinutes(1);
}
