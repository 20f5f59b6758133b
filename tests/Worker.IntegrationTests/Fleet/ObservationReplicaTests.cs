using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Regimes;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Fleet;
using Inference.Streaming.Worker.IntegrationTests.Hosting;
using Inference.Streaming.Worker.IntegrationTests.Kafka;
using Inference.Streaming.Worker.Kafka;
using Inference.Streaming.Worker.State;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.IntegrationTests.Fleet;

/// <summary>
/// The read model's reader against a topic on the embedded broker, written by two instances' sinks: an instance skips
/// the records its own run wrote (its sink put them into its directory as it wrote them), reads every other
/// instance's, and, started again under the same name, reads back what it wrote before.
/// </summary>
[Collection(KafkaClusterGroup.Name)]
public sealed class ObservationReplicaTests(KafkaFixture kafka)
{
    private static readonly TimeSpan CatchUp = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AnInstanceSkipsItsOwnRunsRecordsAndReadsThemBackAfterARestart()
    {
        var topic = await kafka.CreateTopicAsync("replica-observations", 1);
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var a = Instance("worker-a", topic, meters);
        using var b = Instance("worker-b", topic, meters);

        a.Sink.Publish(Snapshot("AAA"));
        b.Sink.Publish(Snapshot("BBB"));
        a.Output.Producer.Flush(TimeSpan.FromSeconds(10));
        b.Output.Producer.Flush(TimeSpan.FromSeconds(10));

        // Worker A's own reader: B's bar arrives, its own is not applied again (a fresh directory shows which).
        var own = await ReadAsync(a, meters);
        Assert.True(own.Find("BBB", null, out _) is not null, "the other instance's record is read");
        Assert.Null(own.Find("AAA", null, out var known));
        Assert.False(known, "this run's own record is skipped");

        // Worker A restarted: the same name, a new run, so it reads back what it wrote before.
        using var restarted = Instance("worker-a", topic, meters);
        Assert.Equal(a.Name.Value, restarted.Name.Value);
        var after = await ReadAsync(restarted, meters);
        Assert.Equal("worker-a", after.Find("AAA", null, out _)?.Instance);
        Assert.Equal("worker-b", after.Find("BBB", null, out _)?.Instance);
    }

    private async Task<SymbolDirectory> ReadAsync(Node node, System.Diagnostics.Metrics.IMeterFactory meters)
    {
        var directory = new SymbolDirectory();
        using var replica = new ObservationReplica(
            directory,
            node.Clients,
            kafka.Registry,
            node.Options,
            meters,
            NullLogger<ObservationReplica>.Instance,
            node.Name
        );
        await replica.StartAsync(CancellationToken.None);
        await Eventually.HoldsAsync(() => replica.IsCaughtUp, CatchUp, "the replica catches up");
        await replica.StopAsync(CancellationToken.None);
        return directory;
    }

    private Node Instance(string name, string topic, System.Diagnostics.Metrics.IMeterFactory meters)
    {
        var options = Options.Create(
            new KafkaOptions
            {
                BootstrapServers = kafka.BootstrapServers,
                StaticMembership = false,
                InstanceId = name,
            }
        );
        options.Value.Topics.SymbolObservations.Name = topic;
        options.Value.Topics.SymbolObservations.Partitions = 1;
        var registry = Options.Create(new SchemaRegistryOptions { Url = kafka.SchemaRegistryUrl });
        var (clients, group) = kafka.Clients(options);
        var metrics = new PipelineMetrics(meters);
        var output = new KafkaOutput(clients, new KafkaConnectivity(metrics, TimeProvider.System), metrics);
        var instance = new InstanceName(group, options);
        var sink = new ReplicatingObservationSink(
            new SymbolDirectory(),
            output,
            kafka.Registry,
            registry,
            options,
            instance,
            NullLogger<ReplicatingObservationSink>.Instance
        );
        return new Node(instance, clients, options, output, sink, group);
    }

    private static ObservationSnapshot Snapshot(string symbol) =>
        new(
            symbol,
            0,
            new Bar(1_767_225_600_000, 1_767_225_660_000, 100, 101, 99, 100.5, 1_000, 12),
            [.. Enumerable.Range(0, Observation.Width).Select(i => i / 100f)],
            RegimeState.Prior,
            100_000,
            0,
            100_000,
            20_454,
            100_000
        );

    private sealed record Node(
        InstanceName Name,
        KafkaClientFactory Clients,
        IOptions<KafkaOptions> Options,
        KafkaOutput Output,
        ReplicatingObservationSink Sink,
        GroupInstance Group
    ) : IDisposable
    {
        public void Dispose()
        {
            Output.Dispose();
            Group.Dispose();
        }
    }
}
