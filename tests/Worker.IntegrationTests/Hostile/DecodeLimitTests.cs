using Confluent.Kafka;
using Inference.Streaming.Tests;
using Inference.Streaming.Worker.IntegrationTests.Kafka;
using Inference.Streaming.Worker.IntegrationTests.State;
using Xunit.Abstractions;

namespace Inference.Streaming.Worker.IntegrationTests.Hostile;

/// <summary>
/// Hostile input, round 2, classes 1 and 2: writer schemas the registry accepts as BACKWARD-compatible
/// evolutions of MarketTick (one more field with a default), and records under them that a trusting
/// Avro reader cannot finish. Before the decoder was bounded, the recursive schema overflowed the
/// worker's stack (the process died and died again at every restart) and the zero-width array looped
/// at 100% of a core with no tick consumed. Now each is dead-lettered and the market is decided.
/// </summary>
[Collection(KafkaClusterGroup.Name)]
public sealed class DecodeLimitTests(KafkaFixture kafka, ITestOutputHelper output)
{
    private const long TwoTo62 = 1L << 62;

    [Fact]
    public async Task RecursiveAndZeroWidthWriterSchemasAreDeadLetteredAsDecodeLimitsAndTheMarketIsDecided()
    {
        var run = new HostileRun(kafka, "decode-limit");
        await run.CreateTopicsAsync();
        var at = StreamHarness.Start.AddSeconds(300);
        var expected = new List<(string Reason, string Detail)>();

        await using var worker = await run.RunAsync(
            async (round, producer) =>
            {
                if (round != 300)
                {
                    return;
                }

                async Task Attack(string schema, byte[] body, string reason, string detail)
                {
                    var id = await run.RegisterTickSchemaAsync(schema);
                    // Each in a batch of its own: the recursive records are most of a megabyte.
                    producer.Flush(TimeSpan.FromSeconds(10));
                    producer.Produce(
                        run.Ticks,
                        new Message<string, byte[]> { Key = "AAA", Value = HostileAvro.Wire(id, body) }
                    );
                    producer.Flush(TimeSpan.FromSeconds(10));
                    expected.Add((reason, detail));
                }

                await Attack(
                    HostileAvro.RecursiveThroughUnion,
                    HostileAvro.NestedThroughUnion("AAA", at, 25_000),
                    "decode-limit",
                    "MarketTick.child -> MarketTick"
                );
                await Attack(
                    HostileAvro.RecursiveThroughArray,
                    HostileAvro.NestedThroughArray("AAA", at, 20_000),
                    "decode-limit",
                    "MarketTick.children -> MarketTick"
                );
                await Attack(
                    HostileAvro.ArrayOfNulls,
                    HostileAvro.ClaimingItems("AAA", at, TwoTo62),
                    "decode-limit",
                    "items"
                );
                await Attack(
                    HostileAvro.ArrayOfEmptyRecords,
                    HostileAvro.ClaimingItems("AAA", at, -TwoTo62),
                    "decode-limit",
                    "items"
                );
                await Attack(
                    HostileAvro.MapOfNulls,
                    HostileAvro.ClaimingItems("AAA", at, TwoTo62),
                    "decode-limit",
                    "bytes left"
                );
                await Attack(
                    HostileAvro.ExtraString,
                    HostileAvro.ClaimingItems("AAA", at, 1L << 40),
                    "malformed",
                    "longer than"
                );
            }
        );

        var decisions = await run.DecisionsAsync(StreamHarness.ExpectedDecisions);
        var letters = await run.DeadLettersAsync(expected.Count);
        output.WriteLine(
            string.Join(
                '\n',
                letters.Select(l => $"{HostileRun.Header(l, "dlq.reason")}: {HostileRun.Header(l, "dlq.detail")}")
            )
        );

        Assert.False(worker.HasExited, "the worker stopped:\n" + worker.Output);
        Assert.Equal(StreamHarness.ExpectedDecisions, decisions.Select(d => d.decision_id).Distinct().Count());
        Assert.Equal(expected.Count, letters.Count);
        foreach (var ((reason, detail), letter) in expected.Zip(letters))
        {
            Assert.Equal(reason, HostileRun.Header(letter, "dlq.reason"));
            Assert.Contains(detail, HostileRun.Header(letter, "dlq.detail"), StringComparison.Ordinal);
        }

        var metrics = await HostileRun.MetricsAsync(worker);
        Assert.Contains("reason=\"decode-limit\"", metrics, StringComparison.Ordinal);
        // The watchdog sees the loop from outside: lag per partition from the brokers, the loop turning.
        Assert.Contains("inference_consumer_lag{", metrics, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^inference_ingest_heartbeat_age_seconds(\{[^}]*\})? \d", metrics);
        Assert.Matches(@"(?m)^inference_ingest_stalled(\{[^}]*\})? 0$", metrics);
        using var http = new HttpClient { BaseAddress = new Uri(worker.Banner["api"]) };
        var health = await http.GetStringAsync(new Uri("/health", UriKind.Relative));
        Assert.Contains("ingest loop turning", health, StringComparison.Ordinal);
        Assert.Equal(
            System.Net.HttpStatusCode.OK,
            (await http.GetAsync(new Uri("/health/live", UriKind.Relative))).StatusCode
        );
    }
}
