using Confluent.Kafka;
using Inference.Streaming.Worker.IntegrationTests.Kafka;
using Inference.Streaming.Worker.IntegrationTests.State;
using Xunit.Abstractions;

namespace Inference.Streaming.Worker.IntegrationTests.Hostile;

/// <summary>
/// Class 7 of the hostile-input issue: regime probabilities that overflow or do not sum to 1, an
/// entropy no distribution has, symbols that break the rule, prices outside the safe range.
/// </summary>
[Collection(KafkaClusterGroup.Name)]
public sealed class ValidationTests(KafkaFixture kafka, ITestOutputHelper output)
{
    [Fact]
    public async Task InvalidRegimesSymbolsAndPricesAreDeadLetteredAndAClaimedEntropyIsRecomputed()
    {
        var run = new HostileRun(kafka, "validation");
        await run.CreateTopicsAsync();
        await using var worker = await run.RunAsync(
            async (round, producer) =>
            {
                var now = StreamHarness.Start.AddSeconds(round);
                if (round == 100)
                {
                    foreach (
                        var (bull, bear, sideways) in new[]
                        {
                            (1e308, 1e308, 1e308),
                            (2.0, 1.0, 1.0),
                            (0.5, 0.3, 0.1),
                            (-0.2, 0.6, 0.6),
                            (1.5, -0.25, -0.25),
                        }
                    )
                    {
                        producer.Produce(
                            run.Regimes,
                            new Message<string, byte[]>
                            {
                                Key = "AAA",
                                Value = await run.RegimeAsync("AAA", now, bull, bear, sideways),
                            }
                        );
                    }

                    foreach (
                        var symbol in new[]
                        {
                            "\u0001\u0002\u0003",
                            "AA\nAA",
                            "AA A",
                            "ÅÄÖ",
                            "A;DROP TABLE",
                            new string('Z', 21),
                        }
                    )
                    {
                        producer.Produce(
                            run.Ticks,
                            new Message<string, byte[]> { Key = symbol, Value = await run.TickAsync(symbol, now) }
                        );
                    }

                    foreach (
                        var (price, size) in new[]
                        {
                            (1e308, 1.0),
                            (1e-300, 1.0),
                            (0.0, 1.0),
                            (100.0, 1e300),
                            (100.0, -1.0),
                        }
                    )
                    {
                        producer.Produce(
                            run.Ticks,
                            new Message<string, byte[]>
                            {
                                Key = "BBB",
                                Value = await run.TickAsync("BBB", now, price, size),
                            }
                        );
                    }
                }
                else if (round == 105)
                {
                    // Valid probabilities with an entropy no three-way distribution has: kept, entropy recomputed.
                    producer.Produce(
                        run.Regimes,
                        new Message<string, byte[]>
                        {
                            Key = "CCC",
                            Value = await run.RegimeAsync("CCC", now, 0.6, 0.1, 0.3, entropy: 5.0),
                        }
                    );
                }
            }
        );

        var decisions = await run.DecisionsAsync(StreamHarness.ExpectedDecisions);
        var letters = await run.DeadLettersAsync(16);
        output.WriteLine(
            string.Join(
                "\n",
                letters.Select(l => $"{HostileRun.Header(l, "dlq.reason")}: {HostileRun.Header(l, "dlq.detail")}")
            )
        );

        Assert.Equal(StreamHarness.ExpectedDecisions, decisions.Select(d => d.decision_id).Distinct().Count());
        Assert.Equal(5, letters.Count(l => HostileRun.Header(l, "dlq.reason") == "invalid-regime"));
        Assert.Equal(11, letters.Count(l => HostileRun.Header(l, "dlq.reason") == "invalid-tick"));
        Assert.Equal(16, letters.Count);
        Assert.All(
            decisions,
            d => Assert.True(d.regime.entropy <= Math.Log(3) + 1e-12, $"entropy {d.regime.entropy} of {d.symbol}")
        );
        Assert.Contains(decisions, d => d.symbol == "CCC" && Math.Abs(d.regime.bull - 0.6) < 1e-12);
        Assert.DoesNotContain(
            worker.Output.Split('\n'),
            line =>
                line.Contains("DROP TABLE", StringComparison.Ordinal)
                && line.Contains('\u0001', StringComparison.Ordinal)
        );
    }
}
