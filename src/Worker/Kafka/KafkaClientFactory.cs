using Confluent.Kafka;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Kafka;

/// <summary>
/// Builds Confluent clients from <see cref="KafkaOptions"/>: the shared <c>Kafka:Client</c> keys,
/// then the producer or consumer keys, all passed to librdkafka unchanged.
/// </summary>
public sealed class KafkaClientFactory(
    IKafkaEndpoints endpoints,
    IOptions<KafkaOptions> options,
    GroupInstance instance
) : IKafkaClientFactory
{
    private readonly Lock _probeGate = new();
    private bool? _isMockCluster;

    public IProducer<byte[]?, byte[]> CreateProducer(
        string clientId,
        Action<ProducerBuilder<byte[]?, byte[]>>? configure = null
    )
    {
        var config = new ProducerConfig
        {
            // At-least-once without duplicates from retries (docs/design.md, Delivery).
            EnableIdempotence = true,
            Acks = Acks.All,
            // Decisions are latency-sensitive (the order router waits for them): batch for 1 ms at most.
            LingerMs = 1,
            StatisticsIntervalMs = 5000,
        };
        // The co-partitioning contract (Kafka:Partitioner): every producer hashes keys alike.
        config.Set("partitioner", options.Value.Partitioner);
        Apply(config, clientId, options.Value.Producer);
        var builder = new ProducerBuilder<byte[]?, byte[]>(config);
        configure?.Invoke(builder);
        return builder.Build();
    }

    public IProducer<byte[]?, byte[]> CreateStandaloneProducer(string clientId)
    {
        var config = new ProducerConfig { EnableIdempotence = true, Acks = Acks.All };
        config.Set("partitioner", options.Value.Partitioner);
        Apply(config, clientId, options.Value.Producer);
        return new ProducerBuilder<byte[]?, byte[]>(
            config.Where(p => p.Key is not ("transactional.id" or "transaction.timeout.ms"))
        ).Build();
    }

    public IConsumer<byte[]?, byte[]> CreateConsumer(
        string clientId,
        string groupId,
        Action<ConsumerBuilder<byte[]?, byte[]>>? configure = null
    )
    {
        var config = new ConsumerConfig
        {
            GroupId = groupId,
            EnableAutoCommit = true,
            // Offsets are stored by the worker only when the work for them is done.
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            // Range assignment gives partition p of every subscribed topic to the same member: ticks
            // and regime updates are co-partitioned by symbol, and a symbol's state needs both.
            // Cooperative-sticky does not guarantee that, so it is not used here.
            PartitionAssignmentStrategy = PartitionAssignmentStrategy.Range,
            IsolationLevel = IsolationLevel.ReadCommitted,
            // Consumer lag per partition for /metrics comes from librdkafka's statistics.
            StatisticsIntervalMs = 5000,
            // End-of-partition events tell the ingest loop that no regime update is waiting.
            EnablePartitionEof = true,
            // Static membership: a restart within session.timeout.ms keeps this member's partitions.
            GroupInstanceId = instance.Id,
        };
        if (MockClusterSessionTimeoutMs() is { } sessionTimeoutMs)
        {
            config.SessionTimeoutMs = sessionTimeoutMs;
            config.HeartbeatIntervalMs = sessionTimeoutMs / 4;
        }

        Apply(config, clientId, options.Value.Consumer);
        var builder = new ConsumerBuilder<byte[]?, byte[]>(config);
        configure?.Invoke(builder);
        return builder.Build();
    }

    /// <summary>
    /// librdkafka's mock broker matches group members by member id only, so it ignores
    /// group.instance.id, and it holds every rebalance for the session timeout less a second
    /// (rdkafka_mock_cgrp.c). A short session keeps a restart or a hand-over to seconds there, unless
    /// <c>Kafka:Consumer:session.timeout.ms</c> is set.
    /// </summary>
    public int? MockClusterSessionTimeoutMs() =>
        !options.Value.Consumer.ContainsKey("session.timeout.ms") && IsMockCluster() ? 4000 : null;

    /// <summary>True when the cluster is librdkafka's mock broker (the embedded broker, here or in a <c>broker</c>
    /// process): its cluster id says so.</summary>
    private bool IsMockCluster()
    {
        lock (_probeGate)
        {
            if (_isMockCluster is null)
            {
                _isMockCluster = Embedded.MockCluster.IsMockCluster(
                    endpoints.BootstrapServers,
                    options.Value.Client,
                    TimeSpan.FromSeconds(5)
                );
            }

            return _isMockCluster.Value;
        }
    }

    public IConsumer<byte[]?, byte[]> CreateReader(string clientId)
    {
        var config = new ConsumerConfig
        {
            GroupId = clientId + "-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
            EnablePartitionEof = true,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            IsolationLevel = IsolationLevel.ReadCommitted,
        };
        Apply(config, clientId, options.Value.Consumer);
        config.EnableAutoCommit = false;
        return new ConsumerBuilder<byte[]?, byte[]>(config).Build();
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
