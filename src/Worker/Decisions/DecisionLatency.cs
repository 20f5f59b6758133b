using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Publishing;

namespace Inference.Streaming.Worker.Decisions;

/// <summary>What a decision's delivery report tells: its spans end, and once it is acknowledged its tick-to-decision
/// latency and the time spent in each stage are measured.</summary>
public sealed class DecisionLatency(PipelineMetrics metrics, TimeProvider time)
{
    /// <summary>The broker answered for the decision: its spans end, and an acknowledgement is measured.</summary>
    public void Delivered(DecisionRequest request, TradeAction action, DecisionDelivery delivery)
    {
        InferenceTelemetry.Delivered(request.Activity, delivery.Position, delivery.Error);
        if (delivery.Acknowledged)
        {
            Acknowledged(request, action, delivery.At);
        }
    }

    /// <summary>The decision was acknowledged at <paramref name="acknowledged"/>: tick-to-decision latency and its
    /// stages.</summary>
    private void Acknowledged(DecisionRequest request, TradeAction action, long acknowledged)
    {
        metrics.DecisionAcknowledged(action, time.GetElapsedTime(request.ConsumedAt, acknowledged).TotalMilliseconds);
        metrics.RecordStages(
            time.GetElapsedTime(request.ConsumedAt, request.EnqueuedAt),
            time.GetElapsedTime(request.EnqueuedAt, request.BatchStartedAt),
            time.GetElapsedTime(request.BatchStartedAt, request.ForwardDoneAt),
            time.GetElapsedTime(request.ForwardDoneAt, request.PublishedAt),
            time.GetElapsedTime(request.PublishedAt, acknowledged)
        );
    }
}
