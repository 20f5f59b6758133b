namespace Inference.Streaming.Worker.Kafka;

/// <summary>The topics of DESIGN.md section 2 (<c>Kafka:Topics:*</c>).</summary>
public sealed class TopicsOptions
{
    public TopicOptions MarketTicks { get; set; } = new() { Name = "market-ticks" };

    public TopicOptions RegimeUpdates { get; set; } = new() { Name = "regime-updates" };

    public TopicOptions TradingDecisions { get; set; } = new() { Name = "trading-decisions" };

    public TopicOptions DecisionForensics { get; set; } = new() { Name = "decision-forensics" };

    public TopicOptions InferenceState { get; set; } =
        new()
        {
            Name = "inference-state",
            // Recent records stay uncompacted, so the last complete checkpoint's snapshots are always there.
            Config = new() { ["cleanup.policy"] = "compact", ["min.compaction.lag.ms"] = "3600000" },
        };

    public TopicOptions DeadLetter { get; set; } = new() { Name = "market-ticks.dlq", Partitions = 3 };

    /// <summary>Every topic with its configuration key, in a fixed order.</summary>
    public IEnumerable<(string Key, TopicOptions Topic)> All()
    {
        yield return (nameof(MarketTicks), MarketTicks);
        yield return (nameof(RegimeUpdates), RegimeUpdates);
        yield return (nameof(TradingDecisions), TradingDecisions);
        yield return (nameof(DecisionForensics), DecisionForensics);
        yield return (nameof(InferenceState), InferenceState);
        yield return (nameof(DeadLetter), DeadLetter);
    }
}
