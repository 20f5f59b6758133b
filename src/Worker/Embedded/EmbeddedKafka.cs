using Inference.Streaming.Worker.Embedded.SchemaRegistry;
using Inference.Streaming.Worker.Kafka;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Embedded;

/// <summary>
/// The embedded Kafka environment: librdkafka's mock cluster and the embedded Schema Registry.
/// Started by the first component that asks for an endpoint (hosted services are all constructed
/// before any starts) or at the latest when the host starts; stopped last.
/// </summary>
public sealed class EmbeddedKafka(IOptions<EmbeddedOptions> options, ILogger<EmbeddedKafka> logger)
    : IHostedService,
        IKafkaEndpoints,
        IAsyncDisposable
{
    private readonly Lock _gate = new();
    private MockCluster? _cluster;
    private EmbeddedSchemaRegistry? _registry;
    private bool _stopped;

    public MockCluster Cluster => EnsureStarted().Cluster;

    public string BootstrapServers => EnsureStarted().Cluster.BootstrapServers;

    public string SchemaRegistryUrl => EnsureStarted().Registry.Url;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        EnsureStarted();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        EmbeddedSchemaRegistry? registry;
        MockCluster? cluster;
        lock (_gate)
        {
            _stopped = true;
            (registry, cluster, _registry, _cluster) = (_registry, _cluster, null, null);
        }

        if (registry is not null)
        {
            await registry.DisposeAsync();
        }

        cluster?.Dispose();
    }

    private (MockCluster Cluster, EmbeddedSchemaRegistry Registry) EnsureStarted()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopped, this);
            if (_cluster is null || _registry is null)
            {
                _cluster = MockCluster.Start(options.Value.Brokers);
                _registry = EmbeddedSchemaRegistry
                    .StartAsync(
                        options.Value.SchemaRegistryPort,
                        options.Value.SchemaRegistryUserInfo,
                        CancellationToken.None
                    )
                    .GetAwaiter()
                    .GetResult();
                EmbeddedLog.EmbeddedStarted(
                    logger,
                    _cluster.BootstrapServers,
                    _registry.Url,
                    LibRdKafka.LoadedFrom ?? "default search path"
                );
            }

            return (_cluster, _registry);
        }
    }
}
