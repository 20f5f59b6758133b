namespace Inference.Streaming.Worker.Embedded;

/// <summary>Log messages of the embedded broker and its retention. Event ids: Embedded's band in
/// <c>LogEventBands</c>.</summary>
internal static partial class EmbeddedLog
{
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
}
