using System.Text;
using Confluent.SchemaRegistry;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Embedded.SchemaRegistry;
using Inference.Streaming.Worker.Kafka;
using Inference.Streaming.Worker.State;
using Inference.Streaming.Worker.UnitTests.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Inference.Streaming.Worker.UnitTests.State;

/// <summary>
/// Checkpoints write what changed, and every symbol not written for <c>State:RefreshInterval</c>:
/// a quiet symbol's snapshot never gets older than that, so a changelog that keeps only its
/// newest stretch still holds every symbol.
/// </summary>
public sealed class StateRefreshTests : IAsyncLifetime
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeKafkaClientFactory _kafka = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.Zero));
    private EmbeddedSchemaRegistry? _registry;
    private CachedSchemaRegistryClient? _registryClient;

    public async Task InitializeAsync()
    {
        _registry = await EmbeddedSchemaRegistry.StartAsync(0, CancellationToken.None);
        _registryClient = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = _registry.Url });
    }

    public async Task DisposeAsync()
    {
        _registryClient?.Dispose();
        if (_registry is not null)
        {
            await _registry.DisposeAsync();
        }

        await _services.DisposeAsync();
    }

    [Fact]
    public void AQuietSymbolIsRewrittenOncePerRefreshIntervalAndAChangedOneAtEveryCheckpoint()
    {
        using var output = Output();
        var store = Store(output, TimeSpan.FromMinutes(1));
        var partition = new PartitionState(0, 60_000, 100_000);
        partition.GetOrAdd("QUIET").Dirty = true;
        partition.GetOrAdd("BUSY").Dirty = true;

        Assert.True(store.Checkpoint(partition, TimeSpan.FromSeconds(1)));
        Assert.Equal(["BUSY", "QUIET"], Written());

        // 30 s later only the busy symbol changed: the quiet one is not due.
        _time.Advance(TimeSpan.FromSeconds(30));
        partition.Symbols["BUSY"].Dirty = true;
        Assert.True(store.Checkpoint(partition, TimeSpan.FromSeconds(1)));
        Assert.Equal(["BUSY"], Written());

        // A minute after its last snapshot the quiet symbol is written again, unchanged.
        _time.Advance(TimeSpan.FromSeconds(30));
        partition.Symbols["BUSY"].Dirty = true;
        Assert.True(store.Checkpoint(partition, TimeSpan.FromSeconds(1)));
        Assert.Equal(["BUSY", "QUIET"], Written());
        Assert.Equal(_time.GetUtcNow().ToUnixTimeMilliseconds(), partition.Symbols["QUIET"].SnapshotAtMs);

        // And nothing is due when nothing changed within the interval.
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(store.Checkpoint(partition, TimeSpan.FromSeconds(1)));
        Assert.Empty(Written());
    }

    [Fact]
    public void AFailedCheckpointLeavesTheSymbolsDueSoTheNextOneWritesThemAgain()
    {
        using var output = Output();
        var store = Store(output, TimeSpan.FromMinutes(1));
        var partition = new PartitionState(0, 60_000, 100_000);
        partition.GetOrAdd("QUIET").Dirty = true;
        _kafka.Producer.Behaviour = _ => (Confluent.Kafka.ErrorCode.Local_MsgTimedOut, false);

        Assert.False(store.Checkpoint(partition, TimeSpan.FromSeconds(1)));
        _ = Written();
        _kafka.Producer.Behaviour = _ => null;
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.True(store.Checkpoint(partition, TimeSpan.FromSeconds(1)));
        Assert.Equal(["QUIET"], Written());
    }

    private KafkaOutput Output()
    {
        var metrics = new PipelineMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        return new KafkaOutput(_kafka, new KafkaConnectivity(metrics, _time), metrics);
    }

    private StateStore Store(KafkaOutput output, TimeSpan refresh)
    {
        var metrics = new PipelineMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        return new StateStore(
            output,
            _kafka,
            _registryClient!,
            Options.Create(new KafkaOptions()),
            Options.Create(new FeatureOptions()),
            Options.Create(new StateOptions { RefreshInterval = refresh }),
            metrics,
            _time,
            NullLogger<StateStore>.Instance,
            Options.Create(new SchemaRegistryOptions())
        );
    }

    /// <summary>Symbols whose snapshot the last checkpoint wrote, in order; the marker is left out. Clears the
    /// record.</summary>
    private List<string> Written()
    {
        var keys = _kafka
            .Producer.Produced.Select(p => Encoding.UTF8.GetString(p.Message.Key!))
            .Where(k => k != StateCodec.CheckpointKey)
            .Order(StringComparer.Ordinal)
            .ToList();
        _kafka.Producer.Produced.Clear();
        return keys;
    }
}
