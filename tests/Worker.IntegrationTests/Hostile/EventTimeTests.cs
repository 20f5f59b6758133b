using Confluent.Kafka;
using Inference.Streaming.Worker.IntegrationTests.Kafka;
using Inference.Streaming.Worker.IntegrationTests.State;
using Xunit.Abstractions;

namespace Inference.Streaming.Worker.IntegrationTests.Hostile;

/// <summary>
/// Class 2 of the hostile-input issue: ticks and regime updates dated far ahead (or, for a new
/// symbol, far behind) the stream's event time. They are dead-lettered and move nothing: the honest
/// symbols' bars close exactly as without them.
/// </summary>
[Collection(KafkaClusterGroup.Name)]
public sealed class EventTimeTests(KafkaFixture kafka, ITestOutputHelper output)
{
    [Theory]
    [InlineData("Watermark")]
    [InlineData("WallClock")]
    public async Task EventsFarAheadOfTheStreamAreDeadLetteredAndAdvanceNothing(string reference)
    {
        var run = new HostileRun(kafka, "future-" + reference.ToLowerInvariant());
        await run.CreateTopicsAsync();
        var year9999 = new DateTimeOffset(9999, 12, 31, 0, 0, 0, TimeSpan.Zero);
        var expectedFuture = 0;
        await using var worker = await run.RunAsync(
            async (round, producer) =>
            {
                var now = StreamHarness.Start.AddSeconds(round);
                switch (round)
                {
                    case 200:
                        // An existing symbol, and a new one on whichever partition its key lands.
                        producer.Produce(
                            run.Ticks,
                            new Message<string, byte[]> { Key = "AAA", Value = await run.TickAsync("AAA", year9999) }
                        );
                        producer.Produce(
                            run.Ticks,
                            new Message<string, byte[]> { Key = "NEW1", Value = await run.TickAsync("NEW1", year9999) }
                        );
                        producer.Produce(
                            run.Regimes,
                            new Message<string, byte[]>
                            {
                                Key = "BBB",
                                Value = await run.RegimeAsync("BBB", year9999, 0.8, 0.1, 0.1),
                            }
                        );
                        expectedFuture = 3;
                        break;
                    case 400 when reference == "Watermark":
                        // Only the stream's own clock can tell these are ahead; the wall clock cannot.
                        foreach (var key in new[] { "AAA", "BBB", "CCC", "DDD", "NEW2" })
                        {
                            producer.Produce(
                                run.Ticks,
                                new Message<string, byte[]>
                                {
                                    Key = key,
                                    Value = await run.TickAsync(key, now.AddHours(1)),
                                }
                            );
                        }

                        producer.Produce(
                            run.Ticks,
                            new Message<string, byte[]>
                            {
                                Key = "CCC",
                                Value = await run.TickAsync("CCC", now.AddDays(30)),
                            }
                        );
                        producer.Produce(
                            run.Regimes,
                            new Message<string, byte[]>
                            {
                                Key = "DDD",
                                Value = await run.RegimeAsync("DDD", now.AddHours(2), 0.1, 0.8, 0.1),
                            }
                        );
                        expectedFuture += 7;
                        break;
                    case 600:
                        // A new symbol's first tick far behind the partition's time is refused, not the start of a 1970
                        // bar.
                        foreach (var key in new[] { "OLD1", "OLD2", "OLD3", "OLD4" })
                        {
                            producer.Produce(
                                run.Ticks,
                                new Message<string, byte[]>
                                {
                                    Key = key,
                                    Value = await run.TickAsync(key, DateTimeOffset.UnixEpoch.AddDays(1)),
                                }
                            );
                        }

                        break;
                }
            },
            "--Features:EventTimeReference",
            reference
        );

        var decisions = await run.DecisionsAsync(StreamHarness.ExpectedDecisions);
        var letters = await run.DeadLettersAsync(expectedFuture + 4);
        output.WriteLine(
            $"{reference}: {decisions.Count} decisions, dead letters: "
                + $"{string.Join(", ", letters.Select(l => HostileRun.Header(l, "dlq.reason")))}"
        );

        Assert.False(worker.HasExited, worker.Output);
        // Every honest bar decided once, and no bar closed early by a jump of event time.
        Assert.Equal(StreamHarness.ExpectedDecisions, decisions.Select(d => d.decision_id).Distinct().Count());
        Assert.All(decisions, d => Assert.Contains(d.symbol, StreamHarness.Symbols));
        Assert.All(decisions, d => Assert.Equal(10, (d.bar_end - d.bar_start).TotalSeconds));
        Assert.Equal(expectedFuture, letters.Count(l => HostileRun.Header(l, "dlq.reason") == "future-event"));
        // Late where the partition has event time; before Features:MinEventTime where it has none yet.
        Assert.Equal(4, letters.Count(l => HostileRun.Header(l, "dlq.reason") is "late-tick" or "invalid-tick"));
        Assert.Equal(expectedFuture + 4, letters.Count);
        Assert.All(
            letters.Where(l => HostileRun.Header(l, "dlq.reason") == "future-event"),
            l =>
                Assert.Contains(
                    "Features:MaxEventTimeSkew",
                    HostileRun.Header(l, "dlq.detail"),
                    StringComparison.Ordinal
                )
        );
    }
}
