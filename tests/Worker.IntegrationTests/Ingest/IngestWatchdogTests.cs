using Confluent.Kafka;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Ingest;
using Inference.Streaming.Worker.IntegrationTests.Hosting;
using Inference.Streaming.Worker.IntegrationTests.Kafka;
using Inference.Streaming.Worker.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.IntegrationTests.Ingest;

/// <summary>
/// The watchdog over a real consumer on the embedded broker. A loop wedged in one record is, seen
/// from outside, a consumer that neither polls nor moves while records arrive: here the test's own
/// loop stops polling. Before the watchdog, that state kept <c>/health</c> healthy with "consumer
/// lag 0" (librdkafka's statistics are delivered by the loop's polls, so they stopped too).
/// </summary>
[Collection(KafkaClusterGroup.Name)]
public sealed class IngestWatchdogTests(KafkaFixture kafka)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ALoopThatStopsTurningWhileRecordsWaitIsStalledWithItsLagFromTheBrokerAndRecovers()
    {
        var topic = await kafka.CreateTopicAsync("watchdog", partitions: 2);
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new PipelineMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        var kafkaOptions = Options.Create(
            new KafkaOptions
            {
                BootstrapServers = kafka.BootstrapServers,
                GroupId = "watchdog-" + Guid.NewGuid(),
                StaticMembership = false,
            }
        );
        var diagnostics = Options.Create(new DiagnosticsOptions { IngestStallTimeout = TimeSpan.FromSeconds(3) });
        var (clients, _) = kafka.Clients(kafkaOptions);
        var heartbeat = new IngestHeartbeat(TimeProvider.System);
        using var watchdog = new IngestWatchdog(
            heartbeat,
            clients,
            metrics,
            kafkaOptions,
            diagnostics,
            NullLogger<IngestWatchdog>.Instance
        );
        var health = new IngestStallHealthCheck(watchdog, diagnostics);
        using var producer = kafka.CreateProducer();
        using var loop = clients.CreateConsumer("watchdog-loop", kafkaOptions.Value.GroupId);
        loop.Assign([new TopicPartitionOffset(topic, 0, Offset.Beginning), new(topic, 1, Offset.Beginning)]);
        await watchdog.StartAsync(CancellationToken.None);

        // Not running yet: nothing to judge.
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync(new HealthCheckContext())).Status);

        // The loop runs and keeps up: healthy, lag 0.
        heartbeat.Attach(loop);
        for (var i = 0; i < 10; i++)
        {
            await producer.ProduceAsync(
                new TopicPartition(topic, i % 2),
                new Message<string, byte[]> { Key = "k", Value = [1] }
            );
        }

        var read = 0;
        await Eventually.HoldsAsync(
            () =>
            {
                heartbeat.Beat(TimeProvider.System.GetTimestamp());
                if (loop.Consume(TimeSpan.FromMilliseconds(100)) is { IsPartitionEOF: false })
                {
                    read++;
                }

                return read == 10 && watchdog.State is { Running: true, RecordsWaiting: 0 };
            },
            Timeout,
            "the loop to read the first 10 records"
        );
        Assert.Equal(0, metrics.TotalLag());
        Assert.False(watchdog.State.Stalled);

        // The loop stops turning while 25 more records arrive: stalled, with the lag the broker shows.
        for (var i = 0; i < 25; i++)
        {
            await producer.ProduceAsync(
                new TopicPartition(topic, i % 2),
                new Message<string, byte[]> { Key = "k", Value = [2] }
            );
        }

        await Eventually.HoldsAsync(() => watchdog.State.Stalled, Timeout, "the stall to be seen");
        var stalled = await health.CheckHealthAsync(new HealthCheckContext());
        Assert.Equal(HealthStatus.Unhealthy, stalled.Status);
        Assert.Contains("25 records waiting", stalled.Description, StringComparison.Ordinal);
        Assert.Equal(25, metrics.TotalLag());

        // It turns again and catches up: healthy.
        await Eventually.HoldsAsync(
            () =>
            {
                heartbeat.Beat(TimeProvider.System.GetTimestamp());
                loop.Consume(TimeSpan.FromMilliseconds(100));
                return watchdog.State is { Stalled: false, RecordsWaiting: 0 };
            },
            Timeout,
            "the loop to catch up"
        );
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync(new HealthCheckContext())).Status);

        // A loop that turns but has nothing to read is not stalled, however long it has been quiet.
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.False(watchdog.State.Stalled);

        heartbeat.Detach();
        await watchdog.StopAsync(CancellationToken.None);
    }
}
