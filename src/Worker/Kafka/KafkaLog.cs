namespace Inference.Streaming.Worker.Kafka;

/// <summary>Log messages of Kafka clients: topics, group membership, librdkafka's own log, deliveries. Event ids:
/// Kafka's band in <c>LogEventBands</c>.</summary>
internal static partial class KafkaLog
{
    [LoggerMessage(2100, LogLevel.Information, "Created Kafka topics: {Topics}")]
    public static partial void TopicsCreated(ILogger logger, string topics);

    [LoggerMessage(EventId = 2101, Message = "librdkafka {Facility}: {Message}")]
    public static partial void ClientLog(ILogger logger, LogLevel level, string facility, string message);

    [LoggerMessage(
        2102,
        LogLevel.Information,
        "Joining group {Group} as static member {InstanceId}, which a restart within the consumer's "
            + "session.timeout.ms finds with its partitions unmoved; leaves the group on a graceful stop: {LeaveOnStop}"
    )]
    public static partial void StaticMember(ILogger logger, string group, string instanceId, bool leaveOnStop);

    [LoggerMessage(
        2103,
        LogLevel.Information,
        "The broker is librdkafka's mock cluster, which ignores group.instance.id and holds each rebalance for the "
            + "session timeout: session.timeout.ms is {SessionTimeoutMs} here so restarts and hand-overs take "
            + "seconds (Kafka:Consumer:session.timeout.ms overrides)"
    )]
    public static partial void MockClusterSession(ILogger logger, int sessionTimeoutMs);

    [LoggerMessage(
        2104,
        LogLevel.Warning,
        "No group instance slot could be locked in {Folder} ({Reason}); this worker joins with a per-process "
            + "instance id, which a restart does not reuse"
    )]
    public static partial void GroupInstanceFallback(ILogger logger, string folder, string reason);

    [LoggerMessage(
        2105,
        LogLevel.Error,
        "Delivery to {Topic} failed: {Reason}; the input offset is not stored, so the record will be processed again"
    )]
    public static partial void DeliveryFailed(ILogger logger, string topic, string reason);
}
