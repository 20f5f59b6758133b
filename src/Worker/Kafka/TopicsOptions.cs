namespace Inference.Streaming.Worker.Kafka;

/// <summary>The topics (docs/design.md, Topics; <c>Kafka:Topics:*</c>).</summary>
public sealed class TopicsOptions
{
    public TopicOptions MarketTicks { get; set; } = new() { Name = "market-ticks" };

    public TopicOptions RegimeUpdates { get; set; } = new() { Name = "regime-updates" };

    public TopicOptions TradingDecisions { get; set; } = new() { Name = "trading-decisions" };

    public TopicOptions DecisionForensics { get; set; } = new() { Name = "decision-forensics" };

    /// <summary>A shadow experiment's challenger decisions (<c>Experiments:Mode Shadow</c>); the order router never
    /// reads it.</summary>
    public TopicOptions TradingDecisionsShadow { get; set; } = new() { Name = "trading-decisions.shadow" };

    public TopicOptions InferenceState { get; set; } =
        new()
        {
            Name = "inference-state",
            // Recent records stay uncompacted, so the last complete checkpoint's snapshots are always there.
            Config = new() { ["cleanup.policy"] = "compact", ["min.compaction.lag.ms"] = "3600000" },
        };

    /// <summary>The <c>regimes</c> service's state changelog, as <see cref="InferenceState"/> is the
    /// worker's.</summary>
    public TopicOptions RegimeDetectorState { get; set; } =
        new()
        {
            Name = "regime-detector-state",
            Config = new() { ["cleanup.policy"] = "compact", ["min.compaction.lag.ms"] = "3600000" },
        };

    public TopicOptions DeadLetter { get; set; } = new() { Name = "market-ticks.dlq", Partitions = 3 };

    /// <summary>The fleet's read model: each symbol's latest observations, written by its owner, read whole by
    /// every worker, so any instance answers predict for any symbol the fleet holds. It belongs to one consumer
    /// group: unless named, <c>{Kafka:GroupId}-observations</c> (as Kafka Streams names its internal topics after
    /// the application id), with as many partitions as <c>market-ticks</c>.</summary>
    public TopicOptions SymbolObservations { get; set; } =
        new()
        {
            Name = "inference-streaming-observations",
            Config = new() { ["cleanup.policy"] = "compact" },
        };

    /// <summary>The fleet's positions table, read whole by every worker so the concentration check sees the whole
    /// book (<c>Risk:Sectors</c>): each mapped symbol's position after each decision, and each input partition's
    /// progress, written by the partition's owner. Written and read only while <c>Risk:Sectors</c> maps symbols;
    /// unless named, <c>{Kafka:GroupId}-positions</c>, with as many partitions as <c>market-ticks</c>.</summary>
    public TopicOptions Positions { get; set; } =
        new()
        {
            Name = "inference-streaming-positions",
            // Recent positions stay uncompacted (as the changelog's snapshots do), so a partition restored from its
            // last checkpoint finds every peer's positions since then, not only the latest.
            Config = new() { ["cleanup.policy"] = "compact", ["min.compaction.lag.ms"] = "3600000" },
        };

    /// <summary>Cluster-wide control: promote and reload as commands every worker of the group applies in order;
    /// unless named, <c>{Kafka:GroupId}-control</c>.</summary>
    public TopicOptions Control { get; set; } =
        new()
        {
            Name = "inference-streaming-control",
            Partitions = 1,
            // Compaction keeps the last promotion for good; retention.ms -1 also keeps it on the embedded broker,
            // which deletes by time and never compacts (a compacted topic ignores retention.ms).
            Config = new() { ["cleanup.policy"] = "compact", ["retention.ms"] = "-1" },
        };

    /// <summary>Every topic with its configuration key, in a fixed order; a topic two keys share (the
    /// <c>regimes</c> service keeps its state in <see cref="RegimeDetectorState"/> through
    /// <see cref="InferenceState"/>) comes once, under its first key.</summary>
    /// <param name="includeRegimeDetectorState">False leaves out <see cref="RegimeDetectorState"/> unless another
    /// key shares it: what a worker creates on a real cluster, where only a <c>regimes</c> service needs it.</param>
    /// <param name="includeShadow">False leaves out <see cref="TradingDecisionsShadow"/>: what a worker without a
    /// shadow experiment creates.</param>
    public IEnumerable<(string Key, TopicOptions Topic)> All(
        bool includeRegimeDetectorState = true,
        bool includeShadow = true
    )
    {
        var seen = new HashSet<TopicOptions>(ReferenceEqualityComparer.Instance);
        foreach (var (key, topic) in Declared())
        {
            if (
                (!includeRegimeDetectorState && key == nameof(RegimeDetectorState))
                || (!includeShadow && key == nameof(TradingDecisionsShadow))
            )
            {
                continue;
            }

            if (seen.Add(topic))
            {
                yield return (key, topic);
            }
        }
    }

    private IEnumerable<(string Key, TopicOptions Topic)> Declared()
    {
        yield return (nameof(MarketTicks), MarketTicks);
        yield return (nameof(RegimeUpdates), RegimeUpdates);
        yield return (nameof(TradingDecisions), TradingDecisions);
        yield return (nameof(DecisionForensics), DecisionForensics);
        yield return (nameof(TradingDecisionsShadow), TradingDecisionsShadow);
        yield return (nameof(InferenceState), InferenceState);
        yield return (nameof(RegimeDetectorState), RegimeDetectorState);
        yield return (nameof(DeadLetter), DeadLetter);
        yield return (nameof(SymbolObservations), SymbolObservations);
        yield return (nameof(Control), Control);
        yield return (nameof(Positions), Positions);
    }
}
