using Inference.Streaming.Contracts.Events;

namespace Inference.Streaming.Worker.Decisions;

/// <summary>The stage boundary between ingest and inference: closed bars wait here for their decision.</summary>
public interface IDecisionIntake
{
    /// <summary>
    /// Queues a closed bar, blocking the caller while the queue is full (back-pressure on ingest).
    /// The task completes with the action published for the bar, or fails when no decision was made.
    /// </summary>
    Task<TradeAction> Enqueue(DecisionRequest request, CancellationToken cancellationToken);

    /// <summary>Blocks until the stage can decide bars (the worker's models are loaded); the ingest waits here
    /// before it reads its first record.</summary>
    void WaitUntilReady(CancellationToken cancellationToken);
}
