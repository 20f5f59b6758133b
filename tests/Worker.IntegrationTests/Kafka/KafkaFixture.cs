using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Confluent.SchemaRegistry;
using DotNet.Testcontainers.Builders;
using Inference.Streaming.Worker.Embedded;
using Inference.Streaming.Worker.Embedded.SchemaRegistry;
using Testcontainers.Kafka;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Inference.Streaming.Worker.IntegrationTests.Kafka;

/// <summary>
/// One Kafka cluster for the integration tests, chosen in order: <c>KAFKA_BOOTSTRAP_SERVERS</c>
/// when set; else Testcontainers.Kafka when a Docker engine answers; else the embedded broker
/// (librdkafka's mock cluster). The registry is <c>SCHEMA_REGISTRY_URL</c> when set, else the
/// embedded one over HTTP. Each test makes its own topics.
/// </summary>
public sealed class KafkaFixture(IMessageSink sink) : IAsyncLifetime
{
    private KafkaContainer? _container;
    private EmbeddedSchemaRegistry? _registry;

    public string Kind { get; private set; } = "none";

    public string BootstrapServers { get; private set; } = string.Empty;

    public string SchemaRegistryUrl { get; private set; } = string.Empty;

    /// <summary>The embedded cluster, for its fault-injection tools; null on a real cluster.</summary>
    public MockCluster? Mock { get; private set; }

    public ISchemaRegistryClient Registry { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var configured = Environment.GetEnvironmentVariable("KAFKA_BOOTSTRAP_SERVERS");
        if (!string.IsNullOrWhiteSpace(configured))
        {
            (Kind, BootstrapServers) = ("KAFKA_BOOTSTRAP_SERVERS", configured);
        }
        else if (await TryStartContainerAsync() is { } container)
        {
            _container = container;
            (Kind, BootstrapServers) = ("Testcontainers.Kafka", container.GetBootstrapAddress());
        }
        else
        {
            Mock = MockCluster.Start(3);
            (Kind, BootstrapServers) = ("embedded broker (librdkafka mock cluster)", Mock.BootstrapServers);
        }

        var registryUrl = Environment.GetEnvironmentVariable("SCHEMA_REGISTRY_URL");
        if (string.IsNullOrWhiteSpace(registryUrl))
        {
            _registry = await EmbeddedSchemaRegistry.StartAsync(0, CancellationToken.None);
            registryUrl = _registry.Url;
        }

        SchemaRegistryUrl = registryUrl;
        Registry = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = SchemaRegistryUrl });
        sink.OnMessage(new DiagnosticMessage($"Kafka fixture uses {Kind} at {BootstrapServers}; registry {SchemaRegistryUrl}"));
        Console.WriteLine($"Kafka fixture uses {Kind} at {BootstrapServers}; registry {SchemaRegistryUrl}");
    }

    /// <summary>Creates a topic with a unique name for one test.</summary>
    public async Task<string> CreateTopicAsync(string prefix, int partitions = 1)
    {
        var name = $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(prefix.Length + 13, 200)];
        if (Mock is not null)
        {
            Mock.CreateTopic(name, partitions, 1);
            return name;
        }

        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = BootstrapServers }).Build();
        await admin.CreateTopicsAsync([new TopicSpecification { Name = name, NumPartitions = partitions, ReplicationFactor = 1 }]);
        return name;
    }

    public IProducer<string, byte[]> CreateProducer() =>
        new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = BootstrapServers, EnableIdempotence = true, Acks = Acks.All }).Build();

    public IConsumer<string, byte[]> CreateConsumer() =>
        new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = BootstrapServers,
            GroupId = "it-" + Guid.NewGuid().ToString("N"),
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            SessionTimeoutMs = 6000,
        }).Build();

    public async Task DisposeAsync()
    {
        Registry?.Dispose();
        if (_registry is not null)
        {
            await _registry.DisposeAsync();
        }

        if (_container is not null)
        {
            await _container.DisposeAsync();
        }

        Mock?.Dispose();
    }

    // Without a Docker engine Testcontainers fails fast (DockerUnavailableException, ~30 ms);
    // the timeout only guards against an engine that hangs.
    private async Task<KafkaContainer?> TryStartContainerAsync()
    {
        try
        {
            var container = new KafkaBuilder("confluentinc/cp-kafka:7.6.1").Build();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await container.StartAsync(timeout.Token);
            return container;
        }
        catch (Exception ex) when (ex is DockerUnavailableException or OperationCanceledException or ArgumentException or InvalidOperationException)
        {
            sink.OnMessage(new DiagnosticMessage($"Testcontainers.Kafka unavailable ({ex.GetType().Name}: {ex.Message.Split('\n')[0]}); using the embedded broker."));
            return null;
        }
    }
}
