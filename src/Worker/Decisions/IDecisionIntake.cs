using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Worker.Publishing;
using Inference.Streaming.Worker.State;

namespace Inference.Streaming.Worker.Decisions;

/// <summary>The stage boundary between ingest and inference: closed bars wait here for their decision.</summary>
public interface IDecisionIntake
{
    /// <summary>
    /// Queues a closed bar, blocking the caller while the queue is full (back-pressure on ingest).
    /// The task completes with the action published for the bar, or fails when no decision was made.
    /// </summary>
    Task<TradeAction> Enqueue(DecisionRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// While the book is kept: every bar of input partition <paramref name="partition"/> ending at or before
    /// <paramref name="throughMs"/> has been queued. Once they are decided, the stage reports it to the fleet on
    /// behalf of <paramref name="source"/> (held for it), in the partition's order.
    /// </summary>
    void Progress(PartitionState partition, long throughMs, IOutputTracker source, CancellationToken cancellationToken);

    /// <summary>True while bars wait in the stage for the book's other partitions: a checkpoint now would wait for
    /// them, and they may wait for this worker's other partitions to be read.</summary>
    bool WaitingForBook { get; }

    /// <summary>Blocks until the stage can decide bars (the worker's models are loaded); the ingest waits here
    /// before it reads its first record.</summary>
    void WaitUntilReady(CancellationToken cancellationToken);
}
