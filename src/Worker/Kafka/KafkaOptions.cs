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

    public TopicsOptions Topics { get; set; } = new();

    /// <summary>Fail start-up when topics are missing and cannot be created (true), or only log (false).</summary>
    public bool CreateTopics { get; set; } = true;

    public Dictionary<string, string> Client { get; set; } = [];

    public Dictionary<string, string> Producer { get; set; } = [];

    public Dictionary<string, string> Consumer { get; set; } = [];

    public bool IsEmbedded => string.IsNullOrWhiteSpace(BootstrapServers);
}
