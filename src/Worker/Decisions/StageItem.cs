using Inference.Streaming.Worker.Publishing;
using Inference.Streaming.Worker.State;

namespace Inference.Streaming.Worker.Decisions;

/// <summary>A partition's progress on its way through the decision stage
/// (<see cref="IDecisionIntake.Progress"/>).</summary>
public sealed record BookProgress(PartitionState State, long ThroughMs, IOutputTracker Source)
{
    public int Partition => State.Partition;
}

/// <summary>What the decision stage's queue carries: a closed bar, or its partition's progress.</summary>
public readonly record struct StageItem(DecisionRequest? Request, BookProgress? Progress)
{
    public int Partition => Request?.Input.partition ?? Progress!.Partition;

    /// <summary>The partition has left this worker since the item was queued.</summary>
    public bool Revoked => (Request?.Partition ?? Progress!.State).Revoked;

    /// <summary>Lets go of an item that will not be decided here: its input record stays unfinished.</summary>
    public void Drop()
    {
        if (Request is { } request)
        {
            request.Completion.TrySetCanceled();
            request.Shadow?.Completion.TrySetCanceled();
            request.Resolve();
        }
        else
        {
            Progress!.Source.Complete();
        }
    }
}
