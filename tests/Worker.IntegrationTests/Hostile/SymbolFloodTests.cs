using System.Globalization;
using Confluent.Kafka;
using Inference.Streaming.Worker.IntegrationTests.Hosting;
using Inference.Streaming.Worker.IntegrationTests.Kafka;
using Inference.Streaming.Worker.IntegrationTests.State;
using Xunit.Abstractions;

namespace Inference.Streaming.Worker.IntegrationTests.Hostile;

/// <summary>
/// Class 6 of the hostile-input issue: a flood of new symbols, one tick each. Features:MaxSymbols
/// caps what is held (the rest are dead-lettered as symbol-limit), idle symbols leave memory with a
/// tombstone in the changelog, and a symbol that comes back starts fresh.
/// </summary>
[Collection(SoloKafkaGroup.Name)]
public sealed class SymbolFloodTests(KafkaFixture kafka, ITestOutputHelper output)
{
    private const int Flood = 1000;
    private const int MaxSymbols = 200;

    [Fact]
    public async Task AFloodOfNewSymbolsIsCappedIdleSymbolsAreEvictedAndAReturningSymbolStartsFresh()
    {
        var run = new HostileRun(kafka, "flood");
        await run.CreateTopicsAsync();
        // The flood goes where an honest symbol's ticks keep the partition's event time moving: a
        // partition whose symbols all go quiet closes no bar and evicts nothing (event time stops).
        var partition = new TopicPartition(run.Ticks, await run.PartitionOfAsync("AAA"));
        // Flood symbols whose key belongs on that partition (Kafka:Partitioner): others are wrong-partition.
        var flood = Enumerable
            .Range(0, 100 * Flood)
            .Select(i => "F" + i.ToString("D4", CultureInfo.InvariantCulture))
            .Where(s =>
                Worker.Kafka.KeyPartitioner.PartitionOf(
                    Worker.Kafka.KeyPartitioner.Murmur2Random,
                    System.Text.Encoding.UTF8.GetBytes(s),
                    3
                ) == partition.Partition.Value
            )
            .Take(Flood)
            .ToList();
        var returning = flood[0];
        // The worker first, then the market: the flood must come after the honest symbols are held.
        await using var worker = await run.StartAsync(
            "--Features:MaxSymbols",
            MaxSymbols.ToString(CultureInfo.InvariantCulture),
            "--Features:SymbolIdleTimeout",
            "00:01:00",
            // One member for the whole run: the symbol cap is per worker, and a rebalance on a loaded
            // machine (the harness's 2 s session) would hand partitions back and forth mid-flood.
            "--Kafka:Consumer:session.timeout.ms",
            "30000",
            "--Kafka:Consumer:heartbeat.interval.ms",
            "3000"
        );
        await run.ProduceAsync(
            async (round, producer) =>
            {
                var now = StreamHarness.Start.AddSeconds(round);
                if (round == 50)
                {
                    // The worker reads the three partitions in no set order: the flood waits until it holds every
                    // honest symbol, or a flood read first would take their places under the cap.
                    await Eventually.HoldsAsync(
                        async () => HeldSymbols(await HostileRun.MetricsAsync(worker)) == StreamHarness.Symbols.Length,
                        TimeSpan.FromSeconds(60),
                        "the worker to hold every honest symbol"
                    );
                    foreach (var symbol in flood)
                    {
                        producer.Produce(
                            partition,
                            new Message<string, byte[]>
                            {
                                Key = symbol,
                                Value = await run.TickAsync(symbol, now, price: 100),
                            }
                        );
                    }
                }
                else if (round == 1000)
                {
                    // Long after its eviction (60 s of event time idle), at another price.
                    producer.Produce(
                        partition,
                        new Message<string, byte[]>
                        {
                            Key = returning,
                            Value = await run.TickAsync(returning, now, price: 150),
                        }
                    );
                }
            }
        );

        var admitted = MaxSymbols - StreamHarness.Symbols.Length;
        // Every honest bar, one bar for each admitted flood symbol, and the returning symbol's bar.
        var expected = StreamHarness.ExpectedDecisions + admitted + 1;
        var decisions = await run.DecisionsAsync(expected);
        output.WriteLine(
            $"flood symbols decided: {decisions.Count(d => d.symbol.StartsWith('F'))}; {returning} bars: "
                + string.Join(
                    ", ",
                    decisions
                        .Where(d => d.symbol == returning)
                        .Select(d => d.bar_start.ToString("O", CultureInfo.InvariantCulture))
                )
        );
        var letters = await run.DeadLettersAsync(Flood - admitted);
        output.WriteLine(
            string.Join(
                ", ",
                letters.GroupBy(l => HostileRun.Header(l, "dlq.reason")).Select(g => $"{g.Key}: {g.Count()}")
            )
        );
        output.WriteLine(
            string.Join(
                "\n",
                letters
                    .Where(l => HostileRun.Header(l, "dlq.reason") != "symbol-limit")
                    .Take(5)
                    .Select(l => HostileRun.Header(l, "dlq.detail"))
            )
        );
        var limited = letters.Where(l => HostileRun.Header(l, "dlq.reason") == "symbol-limit").ToList();
        var tombstones = await run.StateTombstonesAsync();
        var forensics = await run.ForensicsAsync();
        var metrics = await HostileRun.MetricsAsync(worker);
        output.WriteLine(
            $"{decisions.Count} decisions, {limited.Count} symbol-limit dead letters, {tombstones.Count} tombstones"
        );
        // What the group and the checkpoints did, for a run that goes wrong.
        var log = worker.Output.Split('\n');
        output.WriteLine(
            string.Join(
                '\n',
                log.Select((line, i) => (line, i))
                    .Where(x =>
                        (
                            x.line.StartsWith("warn:", StringComparison.Ordinal)
                            && !x.line.Contains("DeadLetterPublisher", StringComparison.Ordinal)
                        )
                        || x.line.StartsWith("fail:", StringComparison.Ordinal)
                        || x.line.Contains("Partitions", StringComparison.Ordinal)
                        || x.line.Contains("Restored", StringComparison.Ordinal)
                    )
                    .SelectMany(x =>
                        x.line.StartsWith("warn:", StringComparison.Ordinal)
                        || x.line.StartsWith("fail:", StringComparison.Ordinal)
                            ? log.Skip(x.i).Take(2)
                            : [x.line]
                    )
                    .Take(60)
            )
        );

        Assert.Equal(expected, decisions.Select(d => d.decision_id).Distinct().Count());
        Assert.Equal(
            StreamHarness.ExpectedDecisions,
            decisions.Where(d => StreamHarness.Symbols.Contains(d.symbol)).Select(d => d.decision_id).Distinct().Count()
        );
        Assert.Equal(Flood - admitted, limited.Count);
        Assert.All(
            limited,
            l => Assert.Contains("Features:MaxSymbols", HostileRun.Header(l, "dlq.detail"), StringComparison.Ordinal)
        );

        // Every admitted flood symbol was evicted and tombstoned; the honest ones were not.
        Assert.Equal(admitted, tombstones.Where(k => k.StartsWith('F')).Distinct().Count());
        Assert.DoesNotContain(tombstones, StreamHarness.Symbols.Contains);
        Assert.Equal(StreamHarness.Symbols.Length, HeldSymbols(metrics));

        // The returning symbol came back after eviction: fresh, its first bar has no return from its old price.
        var returned = forensics.Where(f => f.decision.symbol == returning).OrderBy(f => f.decision.bar_end).Last();
        Assert.Equal(2, forensics.Count(f => f.decision.symbol == returning));
        Assert.Equal(StreamHarness.Start.AddSeconds(1000).UtcDateTime, returned.decision.bar_start);
        Assert.Equal(0.0, returned.features[9]);
        Assert.Equal(0.0, returned.features[2]);
    }

    /// <summary>The worker's <c>inference_symbols</c> gauge: the symbols it holds state for.</summary>
    private static int HeldSymbols(string metrics) =>
        int.Parse(
            metrics
                .Split('\n')
                .Single(line =>
                    line.StartsWith("inference_symbols{", StringComparison.Ordinal)
                    || line.StartsWith("inference_symbols ", StringComparison.Ordinal)
                )
                .Trim()
                .Split(' ')[^1],
            CultureInfo.InvariantCulture
        );
}
