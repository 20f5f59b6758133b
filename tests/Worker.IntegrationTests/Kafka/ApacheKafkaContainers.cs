using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using DotNet.Testcontainers.Networks;
using Testcontainers.Kafka;

namespace Inference.Streaming.Worker.IntegrationTests.Kafka;

/// <summary>
/// Apache Kafka (KRaft) and Confluent Schema Registry in containers on one network, through
/// Testcontainers. Starting fails fast without a Docker engine (DockerUnavailableException in
/// ~30 ms); the timeout only guards against an engine that hangs.
/// </summary>
internal sealed class ApacheKafkaContainers : IAsyncDisposable
{
    public const string KafkaImage = "apache/kafka:3.9.1";
    public const string RegistryImage = "confluentinc/cp-schema-registry:7.9.0";
    private const string KafkaAlias = "kafka";

    private readonly INetwork _network;
    private readonly KafkaContainer _kafka;
    private readonly IContainer _registry;

    private ApacheKafkaContainers(INetwork network, KafkaContainer kafka, IContainer registry) =>
        (_network, _kafka, _registry) = (network, kafka, registry);

    public string BootstrapServers => _kafka.GetBootstrapAddress();

    public string RegistryUrl => $"http://{_registry.Hostname}:{_registry.GetMappedPublicPort(8081)}";

    /// <returns>The running containers, or null and why not.</returns>
    public static async Task<(ApacheKafkaContainers? Containers, string? Unavailable)> TryStartAsync()
    {
        INetwork? network = null;
        KafkaContainer? kafka = null;
        IContainer? registry = null;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            network = new NetworkBuilder().Build();
            await network.CreateAsync(timeout.Token);
            kafka = new KafkaBuilder(KafkaImage).WithNetwork(network).WithListener($"{KafkaAlias}:19092").Build();
            await kafka.StartAsync(timeout.Token);
            registry = new ContainerBuilder(RegistryImage)
                .WithNetwork(network)
                .WithEnvironment("SCHEMA_REGISTRY_HOST_NAME", "schema-registry")
                .WithEnvironment("SCHEMA_REGISTRY_LISTENERS", "http://0.0.0.0:8081")
                .WithEnvironment("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS", $"PLAINTEXT://{KafkaAlias}:19092")
                .WithPortBinding(8081, assignRandomHostPort: true)
                .WithWaitStrategy(
                    Wait.ForUnixContainer()
                        .UntilHttpRequestIsSucceeded(request => request.ForPort(8081).ForPath("/subjects"))
                )
                .Build();
            await registry.StartAsync(timeout.Token);
            return (new ApacheKafkaContainers(network, kafka, registry), null);
        }
        catch (Exception ex)
            when (ex
                    is DockerUnavailableException
                        or OperationCanceledException
                        or ArgumentException
                        or InvalidOperationException
                        or TimeoutException
            )
        {
            await DisposeAllAsync(registry, kafka, network);
            return (null, $"no Apache Kafka container ({ex.GetType().Name}: {ex.Message.Split('\n')[0]})");
        }
    }

    public async ValueTask DisposeAsync() => await DisposeAllAsync(_registry, _kafka, _network);

    private static async Task DisposeAllAsync(IContainer? registry, KafkaContainer? kafka, INetwork? network)
    {
        if (registry is not null)
        {
            await registry.DisposeAsync();
        }

        if (kafka is not null)
        {
            await kafka.DisposeAsync();
        }

        if (network is not null)
        {
            await network.DisposeAsync();
        }
    }
}
