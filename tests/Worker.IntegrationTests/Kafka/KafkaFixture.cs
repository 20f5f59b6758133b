using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Confluent.SchemaRegistry;
using Inference.Streaming.Worker.Embedded;
using Inference.Streaming.Worker.Embedded.SchemaRegistry;
using Inference.Streaming.Worker.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Inference.Streaming.Worker.IntegrationTests.Kafka;

/// <summary>
/// One Kafka cluster for the integration tests: <c>KAFKA_BOOTSTRAP_SERVERS</c> when set, else the
/// embedded broker (librdkafka's mock cluster). The registry is <c>SCHEMA_REGISTRY_URL</c> when
/// set, else the embedded one over HTTP. Each test makes its own topics. The same scenarios run
/// against Apache Kafka and Schema Registry containers through <see cref="ApacheKafkaFixture"/>.
/// </summary>
public class KafkaFixture(IMessageSink sink) : IAsyncLifetime
{
    private ApacheKafkaContainers? _containers;
    private EmbeddedSchemaRegistry? _registry;

    /// <summary>Why this fixture has no cluster (only the container fixture can lack one); null when it has
    /// one.</summary>
    public string? Unavailable { get; private set; }

    /// <summary>Apache Kafka and Schema Registry containers, or nothing.</summary>
    protected virtual bool ContainersOnly => false;

    public string Kind { get; private set; } = "none";

    public string BootstrapServers { get; private set; } = string.Empty;

    public string SchemaRegistryUrl { get; private set; } = string.Empty;

    /// <summary>The embedded cluster, for its fault-injection tools; null on a real cluster.</summary>
    public MockCluster? Mock { get; private set; }

    public ISchemaRegistryClient Registry { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var configured = Environment.GetEnvironmentVariable("KAFKA_BOOTSTRAP_SERVERS");
        var registryUrl = Environment.GetEnvironmentVariable("SCHEMA_REGISTRY_URL");
        if (ContainersOnly)
        {
            (_containers, Unavailable) = await ApacheKafkaContainers.TryStartAsync();
            if (_containers is null)
            {
                sink.OnMessage(new DiagnosticMessage($"Apache Kafka scenarios skip: {Unavailable}"));
                return;
            }

            (Kind, BootstrapServers, registryUrl) = (
                $"Testcontainers ({ApacheKafkaContainers.KafkaImage}, {ApacheKafkaContainers.RegistryImage})",
                _containers.BootstrapServers,
                _containers.RegistryUrl
            );
        }
        else if (!string.IsNullOrWhiteSpace(configured))
        {
            (Kind, BootstrapServers) = ("KAFKA_BOOTSTRAP_SERVERS", configured);
        }
        else
        {
            Mock = MockCluster.Start(3);
            (Kind, BootstrapServers) = ("embedded broker (librdkafka mock cluster)", Mock.BootstrapServers);
        }

        if (string.IsNullOrWhiteSpace(registryUrl))
        {
            _registry = await EmbeddedSchemaRegistry.StartAsync(0, CancellationToken.None);
            registryUrl = _registry.Url;
        }

        SchemaRegistryUrl = registryUrl;
        Registry = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = SchemaRegistryUrl });
        sink.OnMessage(
            new DiagnosticMessage($"Kafka fixture uses {Kind} at {BootstrapServers}; registry {SchemaRegistryUrl}")
        );
        Console.WriteLine($"Kafka fixture uses {Kind} at {BootstrapServers}; registry {SchemaRegistryUrl}");
    }

    /// <summary>
    /// The worker's own Kafka client factory for <paramref name="options"/>, on this cluster's registry, with the
    /// group membership it resolves its instance from.
    /// </summary>
    public (KafkaClientFactory Clients, GroupInstance Group) Clients(IOptions<KafkaOptions> options)
    {
        var group = new GroupInstance(options, NullLogger<GroupInstance>.Instance);
        var endpoints = new ConfiguredKafkaEndpoints(
            options,
            Options.Create(new SchemaRegistryOptions { Url = SchemaRegistryUrl })
        );
        return (new KafkaClientFactory(endpoints, options, group), group);
    }

    /// <summary>Creates a topic with a unique name for one test.</summary>
    public Task<string> CreateTopicAsync(string prefix, int partitions = 1) =>
        CreateNamedTopicAsync($"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 200)], partitions);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _fleetTopics = new();

    /// <summary>Creates, once, the topics a worker of <paramref name="group"/> keeps for its fleet (its read model,
    /// <c>{group}-observations</c>, and its control topic, <c>{group}-control</c>), as the worker would on a real
    /// cluster: the embedded broker does not create topics through the admin API.</summary>
    public async Task CreateFleetTopicsAsync(string group, int partitions)
    {
        if (_fleetTopics.TryAdd(group, 0))
        {
            await CreateNamedTopicAsync($"{group}-observations", partitions);
            await CreateNamedTopicAsync($"{group}-control", 1);
            await CreateNamedTopicAsync($"{group}-positions", partitions);
        }
    }

    /// <summary>Creates a topic with exactly this name.</summary>
    public async Task<string> CreateNamedTopicAsync(string name, int partitions = 1)
    {
        if (Mock is not null)
        {
            Mock.CreateTopic(name, partitions, 1);
            return name;
        }

        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = BootstrapServers }).Build();
        await admin.CreateTopicsAsync([
            new TopicSpecification
            {
                Name = name,
                NumPartitions = partitions,
                ReplicationFactor = 1,
            },
        ]);
        return name;
    }

    // Large enough for the hostile-input tests' records of about 1 MB.
    public IProducer<string, byte[]> CreateProducer(Action<Error>? onError = null) => new ProducerBuilder<
            string,
            byte[]
        >(
            new ProducerConfig
            {
                BootstrapServers = BootstrapServers,
                EnableIdempotence = true,
                Acks = Acks.All,
                MessageMaxBytes = 2_000_000,
                // The worker's co-partitioning contract (Kafka:Partitioner): the Java client's partitioner.
                Partitioner = Partitioner.Murmur2Random,
            }
        ).SetErrorHandler((_, error) => onError?.Invoke(error)).Build();

    public IConsumer<string, byte[]> CreateConsumer() =>
        new ConsumerBuilder<string, byte[]>(
            new ConsumerConfig
            {
                BootstrapServers = BootstrapServers,
                GroupId = "it-" + Guid.NewGuid().ToString("N"),
                AutoOffsetReset = AutoOffsetReset.Earliest,
                EnableAutoCommit = false,
                SessionTimeoutMs = 6000,
            }
        ).Build();

    /// <summary>
    /// Assigns every partition of <paramref name="topic"/> from its first record, without a consumer group: reading
    /// starts at once, so a reader that stops when nothing arrives for a while is not fooled by a slow group join.
    /// </summary>
    public void AssignFromStart<TKey, TValue>(IConsumer<TKey, TValue> consumer, string topic)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = BootstrapServers }).Build();
        // Every topic's metadata, not the topic's own: asking for one topic by name creates it on a broker that
        // auto-creates (the embedded one does), and an "empty topic" assertion would then pass for a wrong name.
        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics.SingleOrDefault(t => t.Topic == topic);
        if (metadata is null || metadata.Error.IsError || metadata.Partitions.Count == 0)
        {
            throw new InvalidOperationException(
                $"Topic {topic} cannot be read: {metadata?.Error.Reason ?? "no such topic"}"
            );
        }

        consumer.Assign(
            metadata.Partitions.Select(p => new TopicPartitionOffset(topic, p.PartitionId, Offset.Beginning))
        );
    }

    public async Task DisposeAsync()
    {
        Registry?.Dispose();
        if (_registry is not null)
        {
            await _registry.DisposeAsync();
        }

        if (_containers is not null)
        {
            await _containers.DisposeAsync();
        }

        Mock?.Dispose();
    }
}

/// <summary>The scenarios' cluster as Apache Kafka and Schema Registry containers; unavailable (tests skip, saying why)
/// without a Docker engine.</summary>
public sealed class ApacheKafkaFixture(IMessageSink sink) : KafkaFixture(sink)
{
    protected override bool ContainersOnly => true;
}
