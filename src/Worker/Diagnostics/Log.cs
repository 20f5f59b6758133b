namespace Inference.Streaming.Worker.Diagnostics;

/// <summary>
/// Source-generated log messages. Event-id bands: 1000 hosting, 2000 Kafka, 3000 embedded,
/// 4000 features, 5000 inference, 6000 risk, 7000 publishing.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(
        1000,
        LogLevel.Information,
        "Inference.Streaming {Mode} ready: kafka {Bootstrap}, registry {Registry}, api {Api}"
    )]
    public static partial void Banner(ILogger logger, string mode, string bootstrap, string registry, string api);

    [LoggerMessage(2000, LogLevel.Information, "Created Kafka topics: {Topics}")]
    public static partial void TopicsCreated(ILogger logger, string topics);

    [LoggerMessage(
        2027,
        LogLevel.Debug,
        "{Topic}[{Partition}]@{Offset} skipped: this partition's state already includes offsets up to {LastApplied}"
    )]
    public static partial void RecordAlreadyApplied(
        ILogger logger,
        string topic,
        int partition,
        long offset,
        long lastApplied
    );

    [LoggerMessage(
        2022,
        LogLevel.Warning,
        "{Topic}[{Partition}]: the broker no longer has offset {Offset} (retention removed it, or its log no longer "
            + "reaches it), so reading restarts where auto.offset.reset says: records removed are lost to this "
            + "worker, records read again are skipped. librdkafka: {Message}"
    )]
    public static partial void OffsetReset(ILogger logger, string topic, int partition, long offset, string message);

    [LoggerMessage(
        2023,
        LogLevel.Warning,
        "{Topic}[{Partition}]: reading resumed at offset {Offset} after an offset reset at offset {From}"
    )]
    public static partial void ResumedAfterReset(ILogger logger, string topic, int partition, long offset, long from);

    [LoggerMessage(EventId = 2024, Message = "librdkafka {Facility}: {Message}")]
    public static partial void ClientLog(ILogger logger, LogLevel level, string facility, string message);

    [LoggerMessage(
        2025,
        LogLevel.Information,
        "Joining group {Group} as static member {InstanceId}, which a restart within the consumer's "
            + "session.timeout.ms finds with its partitions unmoved; leaves the group on a graceful stop: {LeaveOnStop}"
    )]
    public static partial void StaticMember(ILogger logger, string group, string instanceId, bool leaveOnStop);

    [LoggerMessage(
        2026,
        LogLevel.Information,
        "The broker is librdkafka's mock cluster, which ignores group.instance.id and holds each rebalance for the "
            + "session timeout: session.timeout.ms is {SessionTimeoutMs} here so restarts and hand-overs take "
            + "seconds (Kafka:Consumer:session.timeout.ms overrides)"
    )]
    public static partial void MockClusterSession(ILogger logger, int sessionTimeoutMs);

    [LoggerMessage(2028, LogLevel.Debug, "Partitions {Partitions} leaving this worker were not resumed: {Reason}")]
    public static partial void ResumeFailed(ILogger logger, string partitions, string reason);

    [LoggerMessage(
        3015,
        LogLevel.Warning,
        "No group instance slot could be locked in {Folder} ({Reason}); this worker joins with a per-process "
            + "instance id, which a restart does not reuse"
    )]
    public static partial void GroupInstanceFallback(ILogger logger, string folder, string reason);

    [LoggerMessage(
        3010,
        LogLevel.Information,
        "Embedded broker keeps records of {Topics} for {Retention} (Embedded:Retention, or a topic's retention.ms)"
    )]
    public static partial void EmbeddedRetention(ILogger logger, string topics, TimeSpan retention);

    [LoggerMessage(
        3011,
        LogLevel.Debug,
        "Embedded retention removed {Records} records of {Topic}[{Partition}]; the partition now starts at offset "
            + "{Start}"
    )]
    public static partial void EmbeddedRetentionRemoved(
        ILogger logger,
        string topic,
        int partition,
        long records,
        long start
    );

    [LoggerMessage(3012, LogLevel.Debug, "Embedded retention skipped {Topic}[{Partition}] this time: {Reason}")]
    public static partial void EmbeddedRetentionSkipped(ILogger logger, string topic, int partition, string reason);

    [LoggerMessage(
        3013,
        LogLevel.Warning,
        "The embedded broker removed records of {Topic}[{Partition}] before offset {Start} on its own: a partition "
            + "holds at most 5 MiB or 100,000 message sets there. Records are produced faster than "
            + "Embedded:Retention can keep them; lower it (or the topic's retention.ms) to make removals deliberate"
    )]
    public static partial void EmbeddedBrokerDropped(ILogger logger, string topic, int partition, long start);

    [LoggerMessage(3014, LogLevel.Debug, "Embedded retention client: {Message}")]
    public static partial void EmbeddedRetentionClient(ILogger logger, string message);

    [LoggerMessage(
        3000,
        LogLevel.Information,
        "Embedded Kafka cluster at {Bootstrap}, Schema Registry at {Registry} (librdkafka from {Library})"
    )]
    public static partial void EmbeddedStarted(ILogger logger, string bootstrap, string registry, string library);

    [LoggerMessage(2001, LogLevel.Information, "Partitions assigned: {Partitions}")]
    public static partial void PartitionsAssigned(ILogger logger, string partitions);

    [LoggerMessage(2002, LogLevel.Information, "Partitions revoked: {Partitions}")]
    public static partial void PartitionsRevoked(ILogger logger, string partitions);

    [LoggerMessage(2003, LogLevel.Warning, "Partitions lost: {Partitions}")]
    public static partial void PartitionsLost(ILogger logger, string partitions);

    [LoggerMessage(2004, LogLevel.Warning, "Kafka consumer error: {Reason}")]
    public static partial void ConsumerError(ILogger logger, string reason);

    [LoggerMessage(2005, LogLevel.Warning, "Dead-lettered {Topic}[{Partition}]@{Offset}: {Reason}: {Detail}")]
    public static partial void DeadLettered(
        ILogger logger,
        string topic,
        int partition,
        long offset,
        string reason,
        string detail
    );

    [LoggerMessage(
        2006,
        LogLevel.Error,
        "Delivery to {Topic} failed: {Reason}; the input offset is not stored, so the record will be processed again"
    )]
    public static partial void DeliveryFailed(ILogger logger, string topic, string reason);

    [LoggerMessage(2007, LogLevel.Information, "Ingest waiting for models before consuming")]
    public static partial void WaitingForModels(ILogger logger);

    [LoggerMessage(
        1001,
        LogLevel.Warning,
        "The API at {Addresses} is open: no Api:Keys or Api:Jwt, and Api:AllowUnauthenticated lets anyone who can "
            + "reach it reload and promote models"
    )]
    public static partial void ApiOpen(ILogger logger, string addresses);

    [LoggerMessage(2008, LogLevel.Error, "Ingest loop failed")]
    public static partial void IngestFailed(ILogger logger, Exception exception);

    [LoggerMessage(
        2014,
        LogLevel.Error,
        "Ingest loop stalled: no progress for {Seconds:F0} s with {Waiting} records waiting; /health, readiness "
            + "and liveness fail until it turns again"
    )]
    public static partial void IngestStalled(ILogger logger, double seconds, long waiting);

    [LoggerMessage(2015, LogLevel.Information, "Ingest loop turning again ({Seconds:F1} s since its last turn)")]
    public static partial void IngestResumed(ILogger logger, double seconds);

    [LoggerMessage(2016, LogLevel.Error, "Ingest watchdog failed: consumer lag and stall detection stop")]
    public static partial void WatchdogFailed(ILogger logger, Exception exception);

    [LoggerMessage(5003, LogLevel.Error, "Inference batch of {Count} rows failed")]
    public static partial void BatchFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(
        7000,
        LogLevel.Information,
        "stream: {TicksPerSecond:F0} ticks/s, {Bars} bars, {Decisions} decisions (HOLD {Holds}, BUY {Buys}, SELL "
            + "{Sells}), mean batch {MeanBatch:F1}, p99 tick-to-decision {P99:F1} ms, {DeadLetters} dead-lettered"
    )]
    public static partial void Summary(
        ILogger logger,
        double ticksPerSecond,
        long bars,
        long decisions,
        long holds,
        long buys,
        long sells,
        double meanBatch,
        double p99,
        long deadLetters
    );

    [LoggerMessage(
        8000,
        LogLevel.Information,
        "Demo feed: {Symbols} symbols, {TicksPerSecond} ticks/s, seed {Seed}, into {Topic}"
    )]
    public static partial void DemoFeedStarted(
        ILogger logger,
        int symbols,
        double ticksPerSecond,
        int seed,
        string topic
    );

    [LoggerMessage(
        2009,
        LogLevel.Information,
        "Restored {Topic}[{Partition}]: {Symbols} symbols from {Records} records (offsets {Start} to {End}) in "
            + "{ElapsedMs:F0} ms, resuming after ticks offset {TicksOffset}, regimes offset {RegimesOffset}"
    )]
    public static partial void StateRestored(
        ILogger logger,
        string topic,
        int partition,
        int symbols,
        long records,
        long start,
        long end,
        double elapsedMs,
        long ticksOffset,
        long regimesOffset
    );

    [LoggerMessage(
        2020,
        LogLevel.Information,
        "{Topic}[{Partition}] starts at offset {Start}: the records before it were removed by the broker. The "
            + "checkpoints kept span {Span}, at least the {Needed} in which every symbol is rewritten "
            + "(State:RefreshInterval plus State:CheckpointInterval), so every symbol was restored"
    )]
    public static partial void StateTailComplete(
        ILogger logger,
        string topic,
        int partition,
        long start,
        TimeSpan span,
        TimeSpan needed
    );

    [LoggerMessage(
        2021,
        LogLevel.Warning,
        "{Topic}[{Partition}] starts at offset {Start}: the records before it were removed by the broker, and the "
            + "checkpoints kept span only {Span}, less than the {Needed} in which every symbol is rewritten "
            + "(State:RefreshInterval plus State:CheckpointInterval). Symbols whose newest snapshot was removed "
            + "start again from no history; keep the changelog longer (its retention, or the embedded broker's "
            + "Embedded:Retention) or shorten State:RefreshInterval"
    )]
    public static partial void StateTailIncomplete(
        ILogger logger,
        string topic,
        int partition,
        long start,
        TimeSpan span,
        TimeSpan needed
    );

    [LoggerMessage(
        2010,
        LogLevel.Warning,
        "Checkpoint of partition {Partition} not acknowledged in time; offsets stay at the previous checkpoint"
    )]
    public static partial void CheckpointFailed(ILogger logger, int partition);

    [LoggerMessage(
        2011,
        LogLevel.Error,
        "Dead letter for {Topic}[{Partition}]@{Offset} ({Reason}) could not be delivered: {Error}; the record is "
            + "skipped"
    )]
    public static partial void DeadLetterFailed(
        ILogger logger,
        string topic,
        int partition,
        long offset,
        string reason,
        string error
    );

    [LoggerMessage(
        2012,
        LogLevel.Error,
        "Handling {Topic}[{Partition}]@{Offset} threw {Error}; the record is dead-lettered and the stream goes on"
    )]
    public static partial void RecordFailed(
        ILogger logger,
        string topic,
        int partition,
        long offset,
        string error,
        Exception exception
    );

    [LoggerMessage(
        2013,
        LogLevel.Information,
        "Evicted {Count} idle symbols from partition {Partition} (idle longer than Features:SymbolIdleTimeout in "
            + "event time)"
    )]
    public static partial void SymbolsEvicted(ILogger logger, int count, int partition);

    [LoggerMessage(
        5005,
        LogLevel.Error,
        "No decision for {Symbol} bar ending {BarEnd}: {Reason}: {Detail}; dead-lettered as decision-failed, the "
            + "stream goes on"
    )]
    public static partial void DecisionNotMade(
        ILogger logger,
        string symbol,
        DateTime barEnd,
        string reason,
        string detail
    );

    [LoggerMessage(
        4100,
        LogLevel.Information,
        "Regime detector {Name} version {Version} loaded (parameters SHA-256 {Sha256})"
    )]
    public static partial void RegimeDetectorLoaded(ILogger logger, string name, string version, string sha256);

    [LoggerMessage(4101, LogLevel.Error, "Regime detector {Name} refused; the previous detector goes on: {Reason}")]
    public static partial void RegimeDetectorRefused(ILogger logger, string name, string reason);

    [LoggerMessage(6000, LogLevel.Warning, "An observation was not replicated to {Topic}: {Reason}")]
    public static partial void ObservationNotReplicated(ILogger logger, string topic, string reason);

    [LoggerMessage(
        6001,
        LogLevel.Error,
        "The fleet read model stopped reading {Topic}; this instance answers only its own symbols and is not ready"
    )]
    public static partial void ObservationReplicaFailed(ILogger logger, string topic, Exception exception);

    [LoggerMessage(6002, LogLevel.Information, "Fleet read model caught up: {Symbols} symbols")]
    public static partial void ObservationReplicaCaughtUp(ILogger logger, int symbols);

    [LoggerMessage(6003, LogLevel.Warning, "Skipped {Topic} [{Partition}] @{Offset}: {Reason}")]
    public static partial void ObservationSkipped(
        ILogger logger,
        string topic,
        int partition,
        long offset,
        string reason
    );

    [LoggerMessage(6004, LogLevel.Warning, "Control topic {Topic} not readable yet: {Reason}; retrying")]
    public static partial void ControlTopicUnavailable(ILogger logger, string topic, string reason);

    [LoggerMessage(
        6005,
        LogLevel.Information,
        "Control topic {Topic} read: generation {Generation}, {Promotions} promotions applied"
    )]
    public static partial void ControlCaughtUp(ILogger logger, string topic, long generation, int promotions);

    [LoggerMessage(
        6006,
        LogLevel.Error,
        "Stopped reading control topic {Topic}: promotions and reloads no longer reach this instance"
    )]
    public static partial void ControlFailed(ILogger logger, string topic, Exception exception);

    [LoggerMessage(
        6010,
        LogLevel.Warning,
        "The reader of {Topic} did not close within {Seconds} s and was left to finish on its own"
    )]
    public static partial void ControlReaderNotClosed(ILogger logger, string topic, double seconds);

    [LoggerMessage(6007, LogLevel.Warning, "Skipped control record {Topic} @{Offset}: {Reason}")]
    public static partial void ControlSkipped(ILogger logger, string topic, long offset, string reason);

    [LoggerMessage(6008, LogLevel.Error, "Control {Command} at generation {Generation} not applied here: {Reason}")]
    public static partial void ControlNotApplied(ILogger logger, string command, long generation, string reason);

    [LoggerMessage(
        6009,
        LogLevel.Information,
        "Control {Command} from {IssuedBy} applied: generation {Generation}, {Promotions} promotions"
    )]
    public static partial void ControlApplied(
        ILogger logger,
        string command,
        long generation,
        string issuedBy,
        int promotions
    );
}
