using System.ComponentModel.DataAnnotations;

namespace Inference.Streaming.Worker.Pipeline;

/// <summary>State checkpoints (<c>State:*</c>).</summary>
public sealed class StateOptions
{
    public const string Section = "State";

    /// <summary>How often the changelog gets a checkpoint (and input offsets are stored). A restart reprocesses at most this much input.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00", ErrorMessage = "State:CheckpointInterval must be between 10 ms and 10 minutes.")]
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(1);
}
