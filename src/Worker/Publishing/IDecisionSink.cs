namespace Inference.Streaming.Worker.Publishing;

/// <summary>Where a bar's decision and forensics go: <c>trading-decisions</c> and <c>decision-forensics</c> in the
/// worker.</summary>
public interface IDecisionSink
{
    /// <summary>
    /// Publishes both records; each acknowledgement completes one output owed to
    /// <paramref name="source"/>. <paramref name="decisionAcknowledged"/> gets the
    /// <see cref="TimeProvider.GetTimestamp"/> at which the decision itself was acknowledged.
    /// </summary>
    void Publish(DecisionRecords records, IOutputTracker source, Action<long>? decisionAcknowledged = null);
}
