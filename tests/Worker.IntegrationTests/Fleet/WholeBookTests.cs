using System.Globalization;
using System.Text;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Worker.IntegrationTests.Hosting;
using Inference.Streaming.Worker.IntegrationTests.Kafka;
using Inference.Streaming.Worker.IntegrationTests.State;
using Inference.Streaming.Worker.Kafka;
using Xunit.Abstractions;

namespace Inference.Streaming.Worker.IntegrationTests.Fleet;

/// <summary>
/// The concentration check sees the whole book, whichever partition or instance decides each symbol: the same
/// recorded market with <c>Risk:Sectors</c> mapping symbols of different partitions into one sector, decided by one
/// worker, by three, and by three with one SIGKILLed mid-run, gives the same decisions; and every check's book is
/// each other mapped symbol's latest position as of the boundary before its bar, as the symbols' own forensics
/// records say it was.
/// </summary>
[Collection(KafkaClusterGroup.Name)]
public sealed class WholeBookTests(KafkaFixture kafka, ITestOutputHelper output)
{
    private const long BarMs = 10_000;
    private readonly StreamHarness _harness = new(kafka);

    [SkippableFact]
    public async Task OneWorkerThreeWorkersAndThreeWithOneKilledDecideAlikeAgainstTheWholeBook()
    {
        Skip.If(kafka.Unavailable is not null, kafka.Unavailable);
        // The premise: the tech sector (AAA, CCC, DDD) spans partitions, so no partition holds all of it.
        var partitions = StreamHarness.Symbols.ToDictionary(
            s => s,
            s => KeyPartitioner.PartitionOf(KeyPartitioner.Murmur2Random, Encoding.UTF8.GetBytes(s), 3)
        );
        Assert.NotEqual(partitions["AAA"], partitions["CCC"]);
        var expected = StreamHarness.ExpectedDecisions;
        // The test broker (librdkafka's mock cluster) answers an empty fetch only after fetch.wait.max.ms, as the
        // embedded one does, where the worker sets it to 10 ms itself; here the book's round trips would wait 500 ms.
        string[] settings =
        [
            .. StreamHarness.SectorBook,
            "--Risk:BookAlignmentTimeout",
            "00:02:00",
            "--Kafka:Consumer:fetch.wait.max.ms",
            "10",
        ];

        var one = await RunAsync("book-one", 1, kill: false, settings);
        var three = await RunAsync("book-three", 3, kill: false, settings);
        var killed = await RunAsync("book-killed", 3, kill: true, settings);

        foreach (var (name, run) in new[] { ("one", one), ("three", three), ("three, one killed", killed) })
        {
            output.WriteLine($"{name}: {run.Decisions.Count} decision records for {expected} bars");
            var byId = run.Decisions.GroupBy(d => d.decision_id).ToDictionary(g => g.Key, g => g.ToList());
            Assert.Equal(expected, byId.Count);
            // A bar decided again after a hand-over is decided alike.
            Assert.All(byId.Values, copies => Assert.Single(copies.Select(StreamHarness.Content).Distinct()));
        }

        var reference = one.Decisions.ToDictionary(d => d.decision_id, StreamHarness.Content);
        Assert.All(three.Decisions, d => Assert.Equal(reference[d.decision_id], StreamHarness.Content(d)));
        Assert.All(killed.Decisions, d => Assert.Equal(reference[d.decision_id], StreamHarness.Content(d)));
        var books = one.Forensics.ToDictionary(f => f.decision.decision_id, Book);
        Assert.All(three.Forensics, f => Assert.Equal(books[f.decision.decision_id], Book(f)));
        Assert.All(killed.Forensics, f => Assert.Equal(books[f.decision.decision_id], Book(f)));

        AssertEachBookIsTheWholeBookAsOfThePreviousBoundary(one.Forensics);
        var concentrated = one.Decisions.Count(d => d.risk.checks.concentration != RiskCheckStatus.PASS);
        var acrossPartitions = one.Forensics.Count(f =>
            f.decision.symbol == "AAA" && f.risk_inputs.sector_peer_position_value > 0
        );
        output.WriteLine(
            $"concentration warned or failed on {concentrated} of {one.Decisions.Count} decisions; AAA saw tech "
                + $"positions held on another partition in {acrossPartitions} checks"
        );
        Assert.InRange(concentrated, 1, one.Decisions.Count - 1);
        Assert.True(acrossPartitions > 0, "AAA never saw CCC's or DDD's positions, which another partition holds");
    }

    /// <summary>
    /// Every check of a mapped symbol took the book as of its bar's end less one interval, complete, and counted
    /// exactly each other mapped symbol's latest decision at or before it, with the position that decision left
    /// (recomputed here from that symbol's own forensics record: its account before, the action, the close).
    /// </summary>
    private void AssertEachBookIsTheWholeBookAsOfThePreviousBoundary(List<DecisionForensics> forensics)
    {
        var unique = forensics.GroupBy(f => f.decision.decision_id).Select(g => g.First()).ToList();
        var bySymbol = unique
            .GroupBy(f => f.decision.symbol)
            .ToDictionary(g => g.Key, g => g.OrderBy(f => f.decision.bar_end).ToList());
        var checkedPeers = 0;
        foreach (var record in unique)
        {
            var inputs = record.risk_inputs;
            var barEnd = new DateTimeOffset(record.decision.bar_end, TimeSpan.Zero).ToUnixTimeMilliseconds();
            Assert.Equal(barEnd - BarMs, inputs.book_as_of_ms);
            Assert.Null(inputs.book_missing);
            var asOf = inputs.book_as_of_ms!.Value;
            var expectedPeers = bySymbol
                .Where(p => p.Key != record.decision.symbol)
                .Select(p => p.Value.LastOrDefault(f => Ms(f.decision.bar_end) <= asOf))
                .OfType<DecisionForensics>()
                .OrderBy(f => f.decision.symbol, StringComparer.Ordinal)
                .ToList();
            Assert.Equal(
                expectedPeers.Select(f => (f.decision.symbol, f.decision.decision_id)),
                inputs.book_peers.Select(p => (p.symbol, p.decision_id))
            );
            foreach (var (peer, source) in inputs.book_peers.Zip(expectedPeers))
            {
                var after = new PaperPortfolio(source.risk_inputs.initial_capital);
                after.Restore(
                    source.risk_inputs.initial_capital,
                    source.risk_inputs.cash,
                    source.risk_inputs.shares,
                    0,
                    source.risk_inputs.initial_capital
                );
                after.Apply(source.decision.action, source.risk_inputs.close);
                Assert.Equal(after.Shares * source.risk_inputs.close, peer.position_value, 6);
                Assert.Equal(after.ValueAt(source.risk_inputs.close), peer.value, 6);
                Assert.Equal(Ms(source.decision.bar_end), peer.bar_end_ms);
                checkedPeers++;
            }

            var sector = expectedPeers.Where(p => p.risk_inputs.sector == inputs.sector);
            Assert.Equal(
                inputs.book_peers.Where(p => p.sector == inputs.sector).Sum(p => p.position_value),
                inputs.sector_peer_position_value!.Value,
                3
            );
            Assert.Equal(sector.Count(), inputs.book_peers.Count(p => p.sector == inputs.sector));
        }

        output.WriteLine($"{unique.Count} books checked, {checkedPeers} peer positions recomputed");
        Assert.True(checkedPeers > unique.Count, "the books held almost no peers");
    }

    private static long Ms(DateTime time) => new DateTimeOffset(time, TimeSpan.Zero).ToUnixTimeMilliseconds();

    /// <summary>The book a forensics record carries, as text.</summary>
    private static string Book(DecisionForensics f) =>
        string.Join(
            '|',
            f.risk_inputs.sector ?? "-",
            f.risk_inputs.book_as_of_ms?.ToString(CultureInfo.InvariantCulture) ?? "-",
            f.risk_inputs.sector_peer_position_value?.ToString("R", CultureInfo.InvariantCulture) ?? "-",
            f.risk_inputs.book_peer_value?.ToString("R", CultureInfo.InvariantCulture) ?? "-",
            string.Join(
                ';',
                f.risk_inputs.book_peers?.Select(p =>
                    string.Create(CultureInfo.InvariantCulture, $"{p.symbol}@{p.bar_end_ms}={p.position_value:R}")
                )
                    ?? []
            )
        );

    private async Task<(List<TradingDecision> Decisions, List<DecisionForensics> Forensics)> RunAsync(
        string name,
        int workers,
        bool kill,
        string[] settings
    )
    {
        // Each run its own copy of the same recorded market (the simulator is seeded), produced while it runs.
        var ticks = await kafka.CreateTopicAsync($"{name}-ticks", 3);
        var regimes = await kafka.CreateTopicAsync($"{name}-regimes", 3);
        var run = await _harness.Topics(name);
        var feed = Task.Run(() => _harness.ProduceAsync(ticks, regimes, TimeSpan.FromSeconds(15)));
        var processes = new List<WorkerProcess>();
        try
        {
            for (var i = 0; i < workers; i++)
            {
                processes.Add(await _harness.StartAsync(ticks, regimes, run, "00:00:00.250", settings));
            }

            if (kill)
            {
                await Task.Delay(TimeSpan.FromSeconds(5));
                await processes[0].KillAsync();
            }

            await feed;
            var decisions = await _harness.ReadAsync(run, StreamHarness.ExpectedDecisions);
            var forensics = await _harness.ReadAllAsync<DecisionForensics>(run.Forensics);
            return (decisions, forensics);
        }
        catch
        {
            foreach (var (process, i) in processes.Select((p, i) => (p, i)))
            {
                output.WriteLine($"---- {name} worker {i + 1} ----");
                output.WriteLine(string.Join('\n', process.Output.Split('\n').TakeLast(60)));
            }

            throw;
        }
        finally
        {
            foreach (var process in processes)
            {
                await process.DisposeAsync();
            }
        }
    }
}
