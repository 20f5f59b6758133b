namespace Inference.Streaming.Worker.Kafka;

/// <summary>
/// Kafka connection and topics (<c>Kafka:*</c>). Without <see cref="BootstrapServers"/> the worker
/// runs the embedded broker. Client settings are librdkafka keys passed through as they are
/// (<c>Kafka:Producer:linger.ms</c>, <c>Kafka:Consumer:session.timeout.ms</c>, ...).
/// </summary>
public sealed class KafkaOptions
{
    public const string Section = "Kafka";

    public string? BootstrapServers { get; set; }

    public string GroupId { get; set; } = "inference-streaming";

    public DeliveryMode Delivery { get; set; } = DeliveryMode.AtLeastOnce;

    /// <summary>
    /// Join the group as a static member (KIP-345): a worker restarted within the consumer's
    /// <c>session.timeout.ms</c> gets its partitions back without a rebalance.
    /// </summary>
    public bool StaticMembership { get; set; } = true;

    /// <summary>
    /// The static member's <c>group.instance.id</c>; unset, <c>{machine}-{slot}</c>, stable for a worker
    /// restarted on the same machine and different for two workers running there at once.
    /// </summary>
    public string? InstanceId { get; set; }

    /// <summary>
    /// On a graceful stop, leave the group so the others take this worker's partitions at once
    /// (true); or keep them for this instance until its session times out, for a restart that
    /// should find its partitions unmoved (false).
    /// </summary>
    public bool LeaveGroupOnStop { get; set; } = true;

    /// <summary>
    /// How every producer of the project (demo feed, regime service, decisions, forensics, changelog,
    /// dead letters) maps keys to partitions, and the rule the worker checks each input record
    /// against (<see cref="KeyPartitioner"/>): a tick or regime update on another partition than
    /// its key's is dead-lettered as <c>wrong-partition</c>. <c>murmur2_random</c> is the Java
    /// client's; a librdkafka producer (Python, Go, C#, kcat) must set <c>partitioner=murmur2_random</c>.
    /// </summary>
    public string Partitioner { get; set; } = KeyPartitioner.Murmur2Random;

    public TopicsOptions Topics { get; set; } = new();

    /// <summary>Fail start-up when topics are missing and cannot be created (true), or only log (false).</summary>
    public bool CreateTopics { get; set; } = true;

    public Dictionary<string, string> Client { get; set; } = [];

    public Dictionary<string, string> Producer { get; set; } = [];

    public Dictionary<string, string> Consumer { get; set; } = [];

    public bool IsEmbedded => string.IsNullOrWhiteSpace(BootstrapServers);
}
