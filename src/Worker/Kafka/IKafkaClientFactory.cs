using Confluent.Kafka;

namespace Inference.Streaming.Worker.Kafka;

/// <summary>The seam for Kafka clients: unit tests use fakes, everything else real clients.</summary>
public interface IKafkaClientFactory
{
    IProducer<string, byte[]> CreateProducer(string clientId);

    IConsumer<string, byte[]> CreateConsumer(string clientId, string groupId);

    IAdminClient CreateAdminClient(string clientId);
}
