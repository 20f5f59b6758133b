using Confluent.Kafka;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Kafka;

/// <summary>
/// Builds Confluent clients from <see cref="KafkaOptions"/>: the shared <c>Kafka:Client</c> keys,
/// then the producer or consumer keys, all passed to librdkafka unchanged.
/// </summary>
public sealed class KafkaClientFactory(IKafkaEndpoints endpoints, IOptions<KafkaOptions> options) : IKafkaClientFactory
{
    public IProducer<string, byte[]> CreateProducer(string clientId)
    {
        var config = new ProducerConfig
        {
            // At-least-once without duplicates from retries (DESIGN.md section 7).
            EnableIdempotence = true,
            Acks = Acks.All,
            LingerMs = 5,
        };
        Apply(config, clientId, options.Value.Producer);
        return new ProducerBuilder<string, byte[]>(config).Build();
    }

    public IConsumer<string, byte[]> CreateConsumer(string clientId, string groupId)
    {
        var config = new ConsumerConfig
        {
            GroupId = groupId,
            EnableAutoCommit = true,
            // Offsets are stored by the worker only when the work for them is done.
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky,
            IsolationLevel = IsolationLevel.ReadCommitted,
        };
        Apply(config, clientId, options.Value.Consumer);
        return new ConsumerBuilder<string, byte[]>(config).Build();
    }

    public IAdminClient CreateAdminClient(string clientId)
    {
        var config = new AdminClientConfig();
        Apply(config, clientId, new Dictionary<string, string>());
        return new AdminClientBuilder(config).Build();
    }

    private void Apply(ClientConfig config, string clientId, Dictionary<string, string> specific)
    {
        config.BootstrapServers = endpoints.BootstrapServers;
        config.ClientId = clientId;
        foreach (var (key, value) in options.Value.Client)
        {
            config.Set(key, value);
        }

        foreach (var (key, value) in specific)
        {
            config.Set(key, value);
        }
    }
}
