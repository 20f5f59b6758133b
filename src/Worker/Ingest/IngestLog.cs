namespace Inference.Streaming.Worker.Ingest;

/// <summary>Log messages of the ingest loop: partitions, records, offsets, the watchdog. Event ids: Ingest's band in
/// <c>LogEventBands</c>.</summary>
internal static partial class IngestLog
{
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

    [LoggerMessage(2028, LogLevel.Debug, "Partitions {Partitions} leaving this worker were not resumed: {Reason}")]
    public static partial void ResumeFailed(ILogger logger, string partitions, string reason);

    [LoggerMessage(2001, LogLevel.Information, "Partitions assigned: {Partitions}")]
    public static partial void PartitionsAssigned(ILogger logger, string partitions);

    [LoggerMessage(2002, LogLevel.Information, "Partitions revoked: {Partitions}")]
    public static partial void PartitionsRevoked(ILogger logger, string partitions);

    [LoggerMessage(2003, LogLevel.Warning, "Partitions lost: {Partitions}")]
    public static partial void PartitionsLost(ILogger logger, string partitions);

    [LoggerMessage(2004, LogLevel.Warning, "Kafka consumer error: {Reason}")]
    public static partial void ConsumerError(ILogger logger, string reason);

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

    [LoggerMessage(
        2010,
        LogLevel.Warning,
        "Checkpoint of partition {Partition} not acknowledged in time; offsets stay at the previous checkpoint"
    )]
    public static partial void CheckpointFailed(ILogger logger, int partition);

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
}
