namespace Inference.Streaming.Worker.Publishing;

/// <summary>Where a bar's decision and forensics go: <c>trading-decisions</c> and <c>decision-forensics</c> in the
/// worker.</summary>
public interface IDecisionSink
{
    /// <summary>
    /// Publishes both records, announcing them to <paramref name="source"/>; each acknowledgement completes one.
    /// <paramref name="decisionDelivered"/> hears how the decision itself fared.
    /// </summary>
    void Publish(DecisionRecords records, IOutputTracker source, Action<DecisionDelivery>? decisionDelivered = null);
}

/// <summary>
/// How the broker answered for a decision: acknowledged at <paramref name="At"/> (a
/// <see cref="TimeProvider.GetTimestamp"/>) at <paramref name="Position"/>, or refused with <paramref name="Error"/>.
/// </summary>
public readonly record struct DecisionDelivery(long At, Confluent.Kafka.TopicPartitionOffset Position, string? Error)
{
    public bool Acknowledged => Error is null;
}
