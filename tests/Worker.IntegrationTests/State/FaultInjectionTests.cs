using System.Net.Http.Json;
using Inference.Streaming.Contracts.Rest;
using Inference.Streaming.Worker.Embedded;
using Inference.Streaming.Worker.IntegrationTests.Hosting;
using Inference.Streaming.Worker.IntegrationTests.Kafka;
using Xunit.Abstractions;

namespace Inference.Streaming.Worker.IntegrationTests.State;

/// <summary>
/// Faults made with the embedded broker's own tools while ticks flow: the worker keeps running,
/// reconnects and loses no decision (the union of what it published equals an undisturbed run).
/// </summary>
[Collection(KafkaClusterGroup.Name)]
public sealed class FaultInjectionTests(KafkaFixture kafka, ITestOutputHelper output)
{
    private const int NotLeaderOrFollower = 6;
    private const int RequestTimedOut = 7;
    private const int NotEnoughReplicas = 19;
    private const int OffsetOutOfRange = 1;

    private readonly StreamHarness _harness = new(kafka);

    [SkippableFact]
    public async Task TheClusterGoingAwayAndComingBackShowsDegradedAndLosesNothing()
    {
        var sawDegraded = false;
        var metrics = await RunWithFaultAsync(
            "down",
            async (cluster, http) =>
            {
                for (var broker = 1; broker <= cluster.BrokerCount; broker++)
                {
                    cluster.SetBrokerDown(broker);
                }

                for (
                    var deadline = DateTime.UtcNow.AddSeconds(20);
                    !sawDegraded && DateTime.UtcNow < deadline;
                    await Task.Delay(200)
                )
                {
                    sawDegraded = (await http.GetFromJsonAsync<HealthResponse>("/health"))!.Status == "degraded";
                }

                await Task.Delay(TimeSpan.FromSeconds(3));
                for (var broker = 1; broker <= cluster.BrokerCount; broker++)
                {
                    cluster.SetBrokerUp(broker);
                }

                var healthy = false;
                for (
                    var deadline = DateTime.UtcNow.AddSeconds(30);
                    !healthy && DateTime.UtcNow < deadline;
                    await Task.Delay(200)
                )
                {
                    healthy = (await http.GetFromJsonAsync<HealthResponse>("/health"))!.Status == "healthy";
                }

                Assert.True(healthy, "/health did not recover after the brokers came back");
            }
        );

        Assert.True(sawDegraded, "/health never said degraded while every broker was down");
        Assert.Contains("inference_kafka_errors_total{", metrics, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task APartitionLeaderDownForSecondsLosesNothing() =>
        await RunWithFaultAsync(
            "leader",
            async (cluster, _) =>
            {
                cluster.SetBrokerDown(1);
                await Task.Delay(TimeSpan.FromSeconds(5));
                cluster.SetBrokerUp(1);
            }
        );

    [SkippableFact]
    public async Task ErrorsInjectedIntoProduceAndFetchAreRetried() =>
        await RunWithFaultAsync(
            "errors",
            async (cluster, _) =>
            {
                for (var round = 0; round < 3; round++)
                {
                    cluster.PushRequestErrors(
                        LibRdKafka.ProduceApiKey,
                        NotLeaderOrFollower,
                        RequestTimedOut,
                        NotEnoughReplicas,
                        NotLeaderOrFollower
                    );
                    cluster.PushRequestErrors(
                        LibRdKafka.FetchApiKey,
                        NotLeaderOrFollower,
                        NotLeaderOrFollower,
                        RequestTimedOut
                    );
                    await Task.Delay(TimeSpan.FromSeconds(1));
                }
            }
        );

    [SkippableFact]
    public async Task AnOffsetResetToTheLogStartAppliesNothingTwice()
    {
        // The broker answers one fetch "offset out of range": librdkafka resets those partitions to
        // the log start (auto.offset.reset) and the worker reads again what its state already holds.
        var metrics = await RunWithFaultAsync(
            "reset",
            async (cluster, http) =>
            {
                // Several, once a good part of the input has been read: the next fetches to every broker
                // get one, so partitions that have already been read go back to offset 0.
                await Eventually.CounterReachesAsync(
                    http,
                    "inference_ticks_consumed_total",
                    1_000,
                    TimeSpan.FromSeconds(60)
                );
                cluster.PushRequestErrors(
                    LibRdKafka.FetchApiKey,
                    OffsetOutOfRange,
                    OffsetOutOfRange,
                    OffsetOutOfRange,
                    OffsetOutOfRange,
                    OffsetOutOfRange,
                    OffsetOutOfRange
                );
                await Task.Delay(TimeSpan.FromSeconds(2));
            }
        );

        output.WriteLine(
            string.Join(
                '\n',
                metrics
                    .Split('\n')
                    .Where(l =>
                        l.StartsWith("inference_offset_resets", StringComparison.Ordinal)
                        || l.StartsWith("inference_records_already_applied", StringComparison.Ordinal)
                        || l.StartsWith("inference_dead_letters", StringComparison.Ordinal)
                    )
            )
        );
        Assert.Contains("inference_offset_resets_total{", metrics, StringComparison.Ordinal);
        Assert.Contains("inference_records_already_applied_total{", metrics, StringComparison.Ordinal);
        // Read twice, applied once: no tick came late to its own bar, nothing was dead-lettered.
        Assert.DoesNotContain("inference_dead_letters_total{", metrics, StringComparison.Ordinal);
    }

    /// <summary>Runs a worker through a fault while ticks flow; checks the decisions; returns the worker's metrics
    /// text.</summary>
    private async Task<string> RunWithFaultAsync(string name, Func<MockCluster, HttpClient, Task> fault)
    {
        Skip.If(
            kafka.Mock is null,
            "fault injection uses the embedded broker's own tools; this run uses " + kafka.Kind
        );
        var ticks = await kafka.CreateTopicAsync($"{name}-ticks", 3);
        var regimes = await kafka.CreateTopicAsync($"{name}-regimes", 3);
        var faulted = await _harness.Topics($"{name}-faulted");
        var reference = await _harness.Topics($"{name}-reference");
        var expected = StreamHarness.ExpectedDecisions;

        var feed = Task.Run(() => _harness.ProduceAsync(ticks, regimes, TimeSpan.FromSeconds(20)));
        string metrics;
        List<Contracts.Events.TradingDecision> published;
        await using (var worker = await _harness.StartAsync(ticks, regimes, faulted))
        {
            using var http = new HttpClient { BaseAddress = new Uri(worker.Banner["api"]) };
            // The fault hits a worker that is already deciding.
            await Eventually.CounterReachesAsync(http, "inference_decisions_total", 1, TimeSpan.FromSeconds(60));
            await fault(kafka.Mock!, http);
            await feed;
            published = await _harness.ReadAsync(faulted, expected);
            metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
            output.WriteLine(
                string.Join(
                    '\n',
                    worker
                        .Output.Split('\n')
                        .Where(l =>
                            l.Contains("offset", StringComparison.OrdinalIgnoreCase)
                            && !l.Contains("Partitions assigned", StringComparison.Ordinal)
                        )
                        .Take(20)
                )
            );
            Assert.False(worker.HasExited, "the worker stopped during the fault:\n" + worker.Output);
        }

        await using var undisturbed = await _harness.StartAsync(ticks, regimes, reference);
        var alone = await _harness.ReadAsync(reference, expected);
        var referenceContent = alone.ToDictionary(d => d.decision_id, StreamHarness.Content);
        output.WriteLine($"{name}: {published.Count} records published for {expected} bars");
        Assert.Equal(expected, referenceContent.Count);
        Assert.Equal(referenceContent.Keys.Order(), published.Select(d => d.decision_id).Distinct().Order());
        Assert.All(published, d => Assert.Equal(referenceContent[d.decision_id], StreamHarness.Content(d)));
        return metrics;
    }
}
