using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Embedded.SchemaRegistry;
using Inference.Streaming.Worker.Kafka;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Embedded;

/// <summary>
/// The embedded Kafka environment: librdkafka's mock cluster and the embedded Schema Registry,
/// started first and stopped last, so every other component sees ordinary endpoints.
/// </summary>
public sealed class EmbeddedKafka(IOptions<EmbeddedOptions> options, ILogger<EmbeddedKafka> logger) : IHostedService, IKafkaEndpoints, IAsyncDisposable
{
    private MockCluster? _cluster;
    private EmbeddedSchemaRegistry? _registry;

    public MockCluster Cluster => _cluster ?? throw new InvalidOperationException("The embedded Kafka cluster has not started yet.");

    public string BootstrapServers => Cluster.BootstrapServers;

    public string SchemaRegistryUrl => (_registry ?? throw new InvalidOperationException("The embedded Schema Registry has not started yet.")).Url;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _cluster = MockCluster.Start(options.Value.Brokers);
        _registry = await EmbeddedSchemaRegistry.StartAsync(options.Value.SchemaRegistryPort, cancellationToken);
        Log.EmbeddedStarted(logger, _cluster.BootstrapServers, _registry.Url, LibRdKafka.LoadedFrom ?? "default search path");
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        if (_registry is not null)
        {
            await _registry.DisposeAsync();
            _registry = null;
        }

        _cluster?.Dispose();
        _cluster = null;
    }
}
