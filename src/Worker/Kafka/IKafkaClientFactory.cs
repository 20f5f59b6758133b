using Confluent.Kafka;

namespace Inference.Streaming.Worker.Kafka;

/// <summary>The seam for Kafka clients: unit tests use fakes, everything else real clients.</summary>
public interface IKafkaClientFactory
{
    IProducer<byte[]?, byte[]> CreateProducer(string clientId, Action<ProducerBuilder<byte[]?, byte[]>>? configure = null);

    IConsumer<byte[]?, byte[]> CreateConsumer(string clientId, string groupId, Action<ConsumerBuilder<byte[]?, byte[]>>? configure = null);

    IAdminClient CreateAdminClient(string clientId);

    /// <summary>True when the cluster is librdkafka's mock broker (the embedded broker).</summary>
    bool IsMockCluster();

    /// <summary>A consumer outside any group, for reading assigned partitions (state restore).</summary>
    IConsumer<byte[]?, byte[]> CreateReader(string clientId);
}
