using Inference.Streaming.Worker.Publishing;

namespace Inference.Streaming.Worker.Ingest;

/// <summary>
/// One consumed input record and the outputs still owed for it. Its offset may be stored once
/// the record itself is handled and every record produced for it is acknowledged.
/// </summary>
public sealed class TrackedRecord(long offset) : IOutputTracker
{
    private int _pending = 1;
    private int _failed;

    public long Offset { get; } = offset;

    public bool IsDone => Volatile.Read(ref _pending) == 0 && !IsFailed;

    public bool IsFailed => Volatile.Read(ref _failed) != 0;

    public void AddPending(int count) => Interlocked.Add(ref _pending, count);

    public void Complete() => Interlocked.Decrement(ref _pending);

    /// <summary>An output for this record was lost: its offset is never stored, so it is processed again after a
    /// restart.</summary>
    public void Fail() => Interlocked.Exchange(ref _failed, 1);
}
