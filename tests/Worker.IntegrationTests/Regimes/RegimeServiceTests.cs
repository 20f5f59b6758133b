using System.Text.RegularExpressions;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Regimes;
using Inference.Streaming.Engine.Simulation;
using Inference.Streaming.Tests;
using Inference.Streaming.Worker.IntegrationTests.Hosting;
using Inference.Streaming.Worker.Kafka;
using Xunit.Abstractions;

namespace Inference.Streaming.Worker.IntegrationTests.Regimes;

/// <summary>
/// The regime detector as a stream service and inside the worker, as processes on the embedded broker
/// (the <c>broker</c> command): ticks in, every closed bar's regime out, equal to the batch
/// <c>detect</c> code's for the same bars, through a SIGKILL and restart.
/// </summary>
public sealed partial class RegimeServiceTests(ITestOutputHelper output)
{
    private const long BarMs = 10_000;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly string[] Symbols = ["AAA", "BBB", "CCC"];

    [Fact]
    public async Task TheServicePublishesEachClosedBarsRegimeAsDetectComputesItThroughAKillAndTheWorkerDecidesWithIt()
    {
        await using var broker = WorkerProcess.Start("broker", "--urls", "http://127.0.0.1:0");
        await broker.WaitUntilReadyAsync(StartTimeout);
        var (bootstrap, registryUrl) = (broker.Banner["kafka.bootstrap"], broker.Banner["schema.registry"]);
        string[] cluster =
        [
            "--urls",
            "http://127.0.0.1:0",
            "--Kafka:BootstrapServers",
            bootstrap,
            "--SchemaRegistry:Url",
            registryUrl,
            "--Features:BarInterval",
            "00:00:10",
            "--State:CheckpointInterval",
            "00:00:00.200",
        ];
        var detector = RegimeDetectorFiles.Load(RepositoryRoot.RegimeDetectors, GaussianRegimeDetector.DefaultName);
        var market = new Market(bootstrap, registryUrl);
        using var updates = Updates(bootstrap, registryUrl);

        // First half of the market, the service, a SIGKILL once it has caught up.
        await market.ProduceAsync(rounds: 400);
        var first = WorkerProcess.Start(["regimes", .. cluster]);
        await using (first)
        {
            await first.WaitUntilReadyAsync(StartTimeout);
            var expected = market.Expected(detector);
            await Eventually.HoldsAsync(
                () => expected.All(e => updates.Has(e.Symbol, e.EndMs)),
                TimeSpan.FromSeconds(60),
                "updates for every closed bar"
            );
            // The kill is to come after a checkpoint holds every symbol (a checkpoint writes the snapshots, then
            // its marker), or the restart rightly replays a symbol whose partition had none yet and restores fewer.
            // So it waits for the marker itself: a CI run under load once killed the service a second after the
            // last snapshot, before its partition's marker, and the restart restored no symbol.
            using var state = new TopicWatch<SymbolStateSnapshot>(
                bootstrap,
                registryUrl,
                "regime-detector-state",
                s => (s.symbol, TopicWatch<SymbolStateSnapshot>.Ms(s.as_of))
            );
            await Eventually.HoldsAsync(
                () =>
                    Symbols.All(symbol =>
                        state.Values.Any(snapshot =>
                            snapshot.symbol == symbol
                            && state.Values.Any(marker =>
                                marker.checkpoint?.partition == market.PartitionOf(symbol)
                                && marker.as_of >= snapshot.as_of
                            )
                        )
                    ),
                TimeSpan.FromSeconds(30),
                "a snapshot of every symbol in regime-detector-state, and its partition's checkpoint marker after it"
            );
            await first.KillAsync();
        }

        // The second half while it is down; the restarted service resumes from its checkpoint.
        await market.ProduceAsync(rounds: 400);
        var second = WorkerProcess.Start(["regimes", .. cluster]);
        await using (second)
        {
            await second.WaitUntilReadyAsync(StartTimeout);
            var expected = market.Expected(detector);
            await Eventually.HoldsAsync(
                () => expected.All(e => updates.Has(e.Symbol, e.EndMs)),
                TimeSpan.FromSeconds(60),
                "updates for every closed bar"
            );
            // What the restart took from the killed service's checkpoints: each partition's first restore. Not the
            // partitions it holds at this moment: a session lost after the catch-up (a loaded machine; a SIGSTOP of
            // 7 s shows it) takes every partition away until the rejoin restores them again. And read from the log
            // once it has come: the updates above can be in before the lines logged ahead of them.
            var log = await second.OutputOnceAsync(
                o => RestoreLog.SymbolsFirstRestored(o, "regime-detector-state") >= Symbols.Length,
                TimeSpan.FromSeconds(30)
            );
            output.WriteLine(string.Join('\n', RestoredLine().Matches(log).Select(m => m.Value)));
            var restored = RestoreLog.SymbolsFirstRestored(log, "regime-detector-state");
            Assert.True(
                restored == Symbols.Length,
                $"the restart restored {restored} symbols, not {Symbols.Length} (partitions "
                    + $"{string.Join(", ", Symbols.Select(market.PartitionOf))})\n--- the killed service:\n"
                    + $"{first.Output}\n--- the restarted service:\n{log}"
            );

            var moved = 0;
            foreach (var (symbol, endMs, regime) in expected)
            {
                // Every copy (a restart republishes what followed its checkpoint) is the batch code's value.
                foreach (var update in updates.All(symbol, endMs))
                {
                    Assert.Equal(
                        regime,
                        RegimeState.FromProbabilities(update.Value.bull, update.Value.bear, update.Value.sideways)
                    );
                    Assert.Equal(regime.Entropy, update.Value.entropy);
                    Assert.Equal(market.PartitionOf(symbol), update.Partition);
                    Assert.Equal(
                        ("probabilistic", "1", detector.Info.Sha256),
                        (update.Value.detector, update.Value.detector_version, update.Value.detector_sha256)
                    );
                }

                moved += regime == RegimeState.Prior ? 0 : 1;
            }

            var copies = expected.Sum(e => updates.All(e.Symbol, e.EndMs).Count);
            output.WriteLine($"{expected.Count} bars, {copies} updates, {moved} past the warm-up");
            Assert.True(moved > expected.Count / 2, $"only {moved} bars left the prior");
            Assert.True(copies < expected.Count * 1.2, $"{copies} updates for {expected.Count} bars: not resumed");
            await second.TerminateAsync(TimeSpan.FromSeconds(15));
        }

        // The worker on the same ticks with Regimes:Source Detector: each decision's regime is the detector's on its
        // bar, and forensics name the detector.
        using var forensics = new TopicWatch<DecisionForensics>(
            bootstrap,
            registryUrl,
            "decision-forensics",
            f => (f.decision.symbol, TopicWatch<DecisionForensics>.Ms(f.decision.bar_end))
        );
        var worker = WorkerProcess.Start([.. cluster, "--Regimes:Source", "Detector"]);
        await using (worker)
        {
            await worker.WaitUntilReadyAsync(StartTimeout);
            var expected = market.Expected(detector);
            await Eventually.HoldsAsync(
                () => expected.All(e => forensics.Has(e.Symbol, e.EndMs)),
                TimeSpan.FromSeconds(90),
                "decisions for every closed bar"
            );
            foreach (var (symbol, endMs, regime) in expected)
            {
                var record = forensics.All(symbol, endMs)[0].Value;
                var decided = record.decision.regime;
                Assert.Equal(regime, RegimeState.FromProbabilities(decided.bull, decided.bear, decided.sideways));
                Assert.Equal("probabilistic", record.regime_detector.name);
                Assert.Equal(detector.Info.Sha256, record.regime_detector.sha256);
            }

            // Read once the worker has exited: its output is then complete.
            await worker.TerminateAsync(TimeSpan.FromSeconds(15));
            Assert.DoesNotContain("regime-updates [", worker.Output, StringComparison.Ordinal);
        }

        // Replay with the detector the run had is faithful; without it (regimes from the topic) it says so.
        var identity = $"probabilistic/1/{detector.Info.Sha256}";
        var faithful = await ReplayAsync(bootstrap, registryUrl, "--Regimes:Source", "Detector");
        Assert.Equal("faithful", faithful["mode"]!.GetValue<string>());
        Assert.Equal(faithful["read"]!.GetValue<long>(), faithful["identical"]!.GetValue<long>());
        Assert.True(faithful["configuration"]!["regime_detector_same"]!.GetValue<bool>());
        Assert.Equal(identity, faithful["configuration"]!["replay_regime_detector"]!.GetValue<string>());

        var other = await ReplayAsync(bootstrap, registryUrl, "--Regimes:Source", "Topic");
        Assert.Equal("what-if", other["mode"]!.GetValue<string>());
        Assert.Equal(0, other["unexpected_differences"]!.GetValue<long>());
        Assert.False(other["configuration"]!["regime_detector_same"]!.GetValue<bool>());
        Assert.Equal(
            [identity],
            other["configuration"]!["recorded_regime_detectors"]!.AsArray().Select(d => d!.GetValue<string>())
        );
        Assert.Equal("regime-updates", other["configuration"]!["replay_regime_detector"]!.GetValue<string>());
    }

    private static async Task<System.Text.Json.Nodes.JsonNode> ReplayAsync(
        string bootstrap,
        string registryUrl,
        params string[] settings
    )
    {
        var report = Path.Combine(Path.GetTempPath(), $"regime-replay-{Guid.NewGuid():N}.jsonl");
        using var stdout = new StringWriter();
        try
        {
            var code = await Tools.Commands.ToolCommands.RunAsync(
                [
                    "replay",
                    "--bootstrap",
                    bootstrap,
                    "--registry",
                    registryUrl,
                    "--topic",
                    "decision-forensics",
                    "--model-dir",
                    Path.Combine(RepositoryRoot.Path, "models"),
                    "--output",
                    report,
                    "--Features:BarInterval",
                    "00:00:10",
                    "--Regimes:Directory",
                    RepositoryRoot.RegimeDetectors,
                    "--Inference:Device",
                    "cpu",
                    .. settings,
                ],
                stdout,
                stdout
            );
            Assert.True(code == 0, stdout.ToString());
            return System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllLines(report)[^1])!["summary"]!;
        }
        finally
        {
            File.Delete(report);
        }
    }

    [Fact]
    public async Task TheDemoFeedLeavesRegimeUpdatesToTheServiceWhenToldTo()
    {
        await using var broker = WorkerProcess.Start(
            "broker",
            "--urls",
            "http://127.0.0.1:0",
            "--demo-feed",
            "true",
            "--DemoFeed:PublishRegimes",
            "false"
        );
        await broker.WaitUntilReadyAsync(StartTimeout);
        var (bootstrap, registryUrl) = (broker.Banner["kafka.bootstrap"], broker.Banner["schema.registry"]);
        using var ticks = new TopicWatch<MarketTick>(
            bootstrap,
            registryUrl,
            "market-ticks",
            t => (t.symbol, TopicWatch<MarketTick>.Ms(t.event_time))
        );
        using var updates = Updates(bootstrap, registryUrl);

        // 20 simulated minutes of every symbol: the feed's own detector would have published a bar's update each.
        await Eventually.HoldsAsync(() => ticks.Count >= 7 * 60 * 20, TimeSpan.FromSeconds(60), "20 minutes of ticks");

        Assert.Equal(0, updates.Count);
    }

    private static TopicWatch<RegimeUpdate> Updates(string bootstrap, string registryUrl) =>
        new(bootstrap, registryUrl, "regime-updates", u => (u.symbol, TopicWatch<RegimeUpdate>.Ms(u.event_time)));

    [GeneratedRegex(@"Restored regime-detector-state\[\d+\]: (\d+) symbols|Partitions (assigned|revoked|lost): .*")]
    private static partial Regex RestoredLine();

    /// <summary>Simulated ticks for <see cref="Symbols"/>, one every 2 s, produced through a real producer; keeps
    /// each symbol's ticks to compute the bars the service should see.</summary>
    private sealed class Market(string bootstrap, string registryUrl)
    {
        private readonly MarketSimulator _simulator = new(
            Symbols,
            seed: 20261128,
            new DateTimeOffset(2026, 3, 2, 14, 30, 0, TimeSpan.Zero),
            TimeSpan.FromSeconds(2)
        );
        private readonly Dictionary<string, List<(long TimeMs, double Price, double Size)>> _ticks =
            Symbols.ToDictionary(s => s, _ => new List<(long, double, double)>());
        private readonly Dictionary<string, int> _partitions = [];

        public int PartitionOf(string symbol) => _partitions[symbol];

        public async Task ProduceAsync(int rounds)
        {
            using var registry = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = registryUrl });
            var serde = new ContractSerde<MarketTick>(registry);
            using var producer = new ProducerBuilder<byte[]?, byte[]>(
                new ProducerConfig
                {
                    BootstrapServers = bootstrap,
                    EnableIdempotence = true,
                    Partitioner = Partitioner.Murmur2Random,
                }
            ).Build();
            for (var round = 0; round < rounds; round++)
            {
                foreach (var tick in _simulator.NextRound())
                {
                    var delivered = await producer.ProduceAsync(
                        "market-ticks",
                        new Message<byte[]?, byte[]>
                        {
                            Key = System.Text.Encoding.UTF8.GetBytes(tick.Symbol),
                            Value = await serde.SerializeAsync(tick.ToContract(), "market-ticks"),
                        }
                    );
                    _partitions[tick.Symbol] = delivered.Partition.Value;
                    _ticks[tick.Symbol].Add((tick.TimeMs, tick.Price, tick.Size));
                }
            }
        }

        /// <summary>Each symbol's bars closed so far (by its next tick), with the regime the batch code
        /// gives.</summary>
        public List<(string Symbol, long EndMs, RegimeState Regime)> Expected(IRegimeDetector detector)
        {
            var result = new List<(string, long, RegimeState)>();
            foreach (var (symbol, ticks) in _ticks)
            {
                var builder = new BarBuilder(BarMs);
                var bars = new List<Bar>();
                foreach (var (timeMs, price, size) in ticks)
                {
                    if (builder.Add(timeMs, price, size, out var closed) == TickOutcome.ClosedBar)
                    {
                        bars.Add(closed);
                    }
                }

                var regimes = RegimeSeries.Run(detector, bars);
                result.AddRange(bars.Select((b, i) => (symbol, b.EndMs, regimes[i])));
            }

            return result;
        }
    }
}
