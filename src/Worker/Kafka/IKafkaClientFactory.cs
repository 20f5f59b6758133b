using Confluent.Kafka;

namespace Inference.Streaming.Worker.Kafka;

/// <summary>The seam for Kafka clients: unit tests use fakes, everything else real clients.</summary>
public interface IKafkaClientFactory
{
    IProducer<byte[]?, byte[]> CreateProducer(
        string clientId,
        Action<ProducerBuilder<byte[]?, byte[]>>? configure = null
    );

    IConsumer<byte[]?, byte[]> CreateConsumer(
        string clientId,
        string groupId,
        Action<ConsumerBuilder<byte[]?, byte[]>>? configure = null
    );

    IAdminClient CreateAdminClient(string clientId);

    /// <summary>A producer outside the stream's transaction (no <c>transactional.id</c>, whatever
    /// <c>Kafka:Producer</c> says): for records a request writes, such as control commands.</summary>
    IProducer<byte[]?, byte[]> CreateStandaloneProducer(string clientId) => CreateProducer(clientId);

    /// <summary>
    /// The consumer session timeout the factory sets because the cluster is librdkafka's mock broker
    /// (the embedded broker) and none is configured; null when it sets none.
    /// </summary>
    int? MockClusterSessionTimeoutMs();

    /// <summary>A consumer outside any group, for reading assigned partitions (state restore).</summary>
    IConsumer<byte[]?, byte[]> CreateReader(string clientId);
}
