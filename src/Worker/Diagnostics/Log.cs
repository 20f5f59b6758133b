namespace Inference.Streaming.Worker.Diagnostics;

/// <summary>
/// Source-generated log messages. Event-id bands: 1000 hosting, 2000 Kafka, 3000 embedded,
/// 4000 features, 5000 inference, 6000 risk, 7000 publishing.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1000, LogLevel.Information, "Inference.Streaming {Mode} ready: kafka {Bootstrap}, registry {Registry}, api {Api}")]
    public static partial void Banner(ILogger logger, string mode, string bootstrap, string registry, string api);

    [LoggerMessage(2000, LogLevel.Information, "Created Kafka topics: {Topics}")]
    public static partial void TopicsCreated(ILogger logger, string topics);

    [LoggerMessage(3000, LogLevel.Information, "Embedded Kafka cluster at {Bootstrap}, Schema Registry at {Registry} (librdkafka from {Library})")]
    public static partial void EmbeddedStarted(ILogger logger, string bootstrap, string registry, string library);

    [LoggerMessage(5000, LogLevel.Information, "Model set {Generation} loaded: {Count} models from {Directory} in {Milliseconds:F0} ms")]
    public static partial void ModelsLoaded(ILogger logger, long generation, int count, string directory, double milliseconds);

    [LoggerMessage(5001, LogLevel.Error, "Model {Name} refused: {Path}: {Reason}")]
    public static partial void ModelRefused(ILogger logger, string name, string path, string reason);

    [LoggerMessage(5002, LogLevel.Error, "Model reload failed; the previous set keeps serving")]
    public static partial void ReloadFailed(ILogger logger, Exception exception);

    [LoggerMessage(2001, LogLevel.Information, "Partitions assigned: {Partitions}")]
    public static partial void PartitionsAssigned(ILogger logger, string partitions);

    [LoggerMessage(2002, LogLevel.Information, "Partitions revoked: {Partitions}")]
    public static partial void PartitionsRevoked(ILogger logger, string partitions);

    [LoggerMessage(2003, LogLevel.Warning, "Partitions lost: {Partitions}")]
    public static partial void PartitionsLost(ILogger logger, string partitions);

    [LoggerMessage(2004, LogLevel.Warning, "Kafka consumer error: {Reason}")]
    public static partial void ConsumerError(ILogger logger, string reason);

    [LoggerMessage(2005, LogLevel.Warning, "Dead-lettered {Topic}[{Partition}]@{Offset}: {Reason}: {Detail}")]
    public static partial void DeadLettered(ILogger logger, string topic, int partition, long offset, string reason, string detail);

    [LoggerMessage(2006, LogLevel.Error, "Delivery to {Topic} failed: {Reason}; the input offset is not stored, so the record will be processed again")]
    public static partial void DeliveryFailed(ILogger logger, string topic, string reason);

    [LoggerMessage(2007, LogLevel.Information, "Ingest waiting for models before consuming")]
    public static partial void WaitingForModels(ILogger logger);

    [LoggerMessage(2008, LogLevel.Error, "Ingest loop failed")]
    public static partial void IngestFailed(ILogger logger, Exception exception);

    [LoggerMessage(5003, LogLevel.Error, "Inference batch of {Count} rows failed")]
    public static partial void BatchFailed(ILogger logger, int count, Exception exception);


    [LoggerMessage(7000, LogLevel.Information, "stream: {TicksPerSecond:F0} ticks/s, {Bars} bars, {Decisions} decisions (HOLD {Holds}, BUY {Buys}, SELL {Sells}), mean batch {MeanBatch:F1}, p99 tick-to-decision {P99:F1} ms, {DeadLetters} dead-lettered")]
    public static partial void Summary(ILogger logger, double ticksPerSecond, long bars, long decisions, long holds, long buys, long sells, double meanBatch, double p99, long deadLetters);

    [LoggerMessage(8000, LogLevel.Information, "Demo feed: {Symbols} symbols, {TicksPerSecond} ticks/s, seed {Seed}, into {Topic}")]
    public static partial void DemoFeedStarted(ILogger logger, int symbols, double ticksPerSecond, int seed, string topic);

    [LoggerMessage(2009, LogLevel.Information, "Restored {Topic}[{Partition}]: {Symbols} symbols, resuming after ticks offset {TicksOffset}, regimes offset {RegimesOffset}")]
    public static partial void StateRestored(ILogger logger, string topic, int partition, int symbols, long ticksOffset, long regimesOffset);

    [LoggerMessage(2010, LogLevel.Warning, "Checkpoint of partition {Partition} not acknowledged in time; offsets stay at the previous checkpoint")]
    public static partial void CheckpointFailed(ILogger logger, int partition);

    [LoggerMessage(2011, LogLevel.Error, "Dead letter for {Topic}[{Partition}]@{Offset} ({Reason}) could not be delivered: {Error}; the record is skipped")]
    public static partial void DeadLetterFailed(ILogger logger, string topic, int partition, long offset, string reason, string error);

    [LoggerMessage(2012, LogLevel.Error, "Handling {Topic}[{Partition}]@{Offset} threw {Error}; the record is dead-lettered and the stream goes on")]
    public static partial void RecordFailed(ILogger logger, string topic, int partition, long offset, string error, Exception exception);

    [LoggerMessage(2013, LogLevel.Information, "Evicted {Count} idle symbols from partition {Partition} (idle longer than Features:SymbolIdleTimeout in event time)")]
    public static partial void SymbolsEvicted(ILogger logger, int count, int partition);

    [LoggerMessage(5005, LogLevel.Error, "No decision for {Symbol} bar ending {BarEnd}: {Reason}: {Detail}; dead-lettered as decision-failed, the stream goes on")]
    public static partial void DecisionNotMade(ILogger logger, string symbol, DateTime barEnd, string reason, string detail);
}
