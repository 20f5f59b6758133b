using System.Globalization;
using Confluent.Kafka;
using Inference.Streaming.Tests;
using Inference.Streaming.Worker.IntegrationTests.Kafka;
using Inference.Streaming.Worker.IntegrationTests.State;
using Xunit.Abstractions;

namespace Inference.Streaming.Worker.IntegrationTests.Hostile;

/// <summary>
/// Every stream attack at once, mixed into the honest market: the honest symbols' decisions are
/// identical, field for field, to an undisturbed run's. Determinism holds under attack.
/// </summary>
[Collection(KafkaClusterGroup.Name)]
public sealed class AllAttacksDeterminismTests(KafkaFixture kafka, ITestOutputHelper output)
{
    [Fact]
    public async Task UnderEveryAttackTheHonestSymbolsDecideExactlyAsInAnUndisturbedRun()
    {
        var calm = new HostileRun(kafka, "calm");
        await calm.CreateTopicsAsync();
        await using (var worker = await calm.RunAsync(null))
        {
            var reference = await calm.DecisionsAsync(StreamHarness.ExpectedDecisions);
            var attacked = new HostileRun(kafka, "attacked");
            await attacked.CreateTopicsAsync();
            var random = new Random(13);
            var noise = new byte[999_000];
            random.NextBytes(noise);
            var attacks = 0;
            List<(int Id, long Count)>? decodeAttacks = null;
            await using var target = await attacked.RunAsync(
                async (round, producer) =>
                {
                    var now = StreamHarness.Start.AddSeconds(round);
                    void Tick(string key, byte[] value)
                    {
                        producer.Produce(attacked.Ticks, new Message<string, byte[]> { Key = key, Value = value });
                        attacks++;
                    }
                    void Regime(string key, byte[] value)
                    {
                        producer.Produce(attacked.Regimes, new Message<string, byte[]> { Key = key, Value = value });
                        attacks++;
                    }
                    switch (round % 100)
                    {
                        case 7:
                            // Records of about 1 MB, twice, each in a batch of its own (beside honest ticks
                            // a batch would pass the broker's limit). Not more: the embedded broker keeps
                            // 5 MiB per partition and would drop the oldest honest ticks to make room.
                            if (round is 7 or 807)
                            {
                                producer.Flush(TimeSpan.FromSeconds(10));
                                Tick("AAA", noise);
                                producer.Flush(TimeSpan.FromSeconds(10));
                            }

                            Tick("BBB", null!);
                            Tick("CCC", []);
                            break;
                        case 19:
                            Tick(
                                "AAA",
                                await attacked.TickAsync("AAA", new DateTimeOffset(9999, 1, 1, 0, 0, 0, TimeSpan.Zero))
                            );
                            Tick(
                                "X" + round.ToString(CultureInfo.InvariantCulture),
                                await attacked.TickAsync(
                                    "X" + round.ToString(CultureInfo.InvariantCulture),
                                    now.AddYears(50)
                                )
                            );
                            Tick("OLD", await attacked.TickAsync("OLD", DateTimeOffset.UnixEpoch));
                            break;
                        case 31:
                            Regime("BBB", await attacked.RegimeAsync("BBB", now, 1e308, 1e308, 1e308));
                            Regime("CCC", await attacked.RegimeAsync("CCC", now.AddYears(10), 0.1, 0.1, 0.8));
                            if (round is 31 or 831)
                            {
                                producer.Flush(TimeSpan.FromSeconds(10));
                                Regime("DDD", noise);
                                producer.Flush(TimeSpan.FromSeconds(10));
                            }
                            break;
                        case 43:
                            Tick("DDD", await attacked.TickAsync("DDD", now, price: double.NaN));
                            Tick("DDD", await attacked.TickAsync("DDD", now, price: 1e300));
                            Tick("\u0001", await attacked.TickAsync("A\u0001", now));
                            producer.Produce(
                                attacked.Ticks,
                                new Message<string, byte[]>
                                {
                                    Key = "AAA",
                                    Value = "x"u8.ToArray(),
                                    Headers = new Headers { { "dlq.reason", "spoofed"u8.ToArray() } },
                                }
                            );
                            attacks++;
                            break;
                        case 67:
                            // Round 2: writer schemas whose records a trusting decoder cannot finish.
                            decodeAttacks ??=
                            [
                                (await attacked.RegisterTickSchemaAsync(HostileAvro.ArrayOfNulls), 1L << 62),
                                (await attacked.RegisterTickSchemaAsync(HostileAvro.MapOfNulls), 1L << 62),
                                (await attacked.RegisterTickSchemaAsync(HostileAvro.ExtraString), 1L << 40),
                            ];
                            foreach (var (id, count) in decodeAttacks)
                            {
                                Tick("CCC", HostileAvro.Wire(id, HostileAvro.ClaimingItems("CCC", now, count)));
                            }

                            if (round == 67)
                            {
                                var recursive = await attacked.RegisterTickSchemaAsync(
                                    HostileAvro.RecursiveThroughUnion
                                );
                                producer.Flush(TimeSpan.FromSeconds(10));
                                Tick(
                                    "BBB",
                                    HostileAvro.Wire(recursive, HostileAvro.NestedThroughUnion("BBB", now, 20_000))
                                );
                                producer.Flush(TimeSpan.FromSeconds(10));
                            }

                            break;
                        case 55:
                            // New symbols, decided beside the honest ones in the same batches.
                            for (var i = 0; i < 40; i++)
                            {
                                var symbol = $"N{round}_{i}";
                                Tick(symbol, await attacked.TickAsync(symbol, now, price: 10 + i));
                            }

                            break;
                    }
                }
            );

            // The honest bars, and one bar for each of the 15 × 40 new symbols, but perhaps the last 40:
            // on a partition without an honest symbol nothing after them moves event time past their bar.
            var underAttack = await attacked.DecisionsAsync(StreamHarness.ExpectedDecisions + (14 * 40));
            var letters = await attacked.DeadLettersAsync(1, quiet: TimeSpan.FromSeconds(2));
            output.WriteLine(
                $"{attacks} attack records; {underAttack.Count} decisions, {letters.Count} dead letters: "
                    + string.Join(
                        ", ",
                        letters.GroupBy(l => HostileRun.Header(l, "dlq.reason")).Select(g => $"{g.Key} {g.Count()}")
                    )
            );

            var honest = underAttack
                .Where(d => StreamHarness.Symbols.Contains(d.symbol))
                .GroupBy(d => d.decision_id)
                .ToDictionary(g => g.Key, g => g.First());
            Assert.Equal(StreamHarness.ExpectedDecisions, reference.Select(d => d.decision_id).Distinct().Count());
            Assert.Equal(reference.Select(d => d.decision_id).Distinct().Order(), honest.Keys.Order());
            Assert.All(
                reference,
                d => Assert.Equal(StreamHarness.Content(d), StreamHarness.Content(honest[d.decision_id]))
            );
            Assert.InRange(underAttack.Count(d => d.symbol.StartsWith('N')), 14 * 40, 15 * 40);
            Assert.Contains(letters, l => HostileRun.Header(l, "dlq.reason") == "decode-limit");
            Assert.False(target.HasExited, target.Output);
            Assert.False(worker.HasExited);
        }
    }
}
