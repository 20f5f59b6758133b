using System.Globalization;
using Confluent.Kafka;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Worker.DemoFeed;
using Inference.Streaming.Worker.IntegrationTests.Hosting;
using Inference.Streaming.Worker.IntegrationTests.Kafka;
using Inference.Streaming.Worker.Kafka;
using Xunit.Abstractions;

namespace Inference.Streaming.Worker.IntegrationTests.State;

/// <summary>
/// The worker SIGKILLed at random points while ticks flow, and restarted each time: no decision is
/// missing, duplicates are identical, and the decisions equal an uninterrupted run's.
/// </summary>
[Collection(KafkaClusterGroup.Name)]
public sealed class RestartDeterminismTests(KafkaFixture kafka, ITestOutputHelper output)
{
    private static readonly string[] Symbols = ["AAA", "BBB", "CCC", "DDD"];
    private const int Rounds = 1500;

    [Fact]
    public async Task KillingTheWorkerFiveTimesLosesNoDecisionAndChangesNone()
    {
        var ticks = await kafka.CreateTopicAsync("kill-ticks", 3);
        var regimes = await kafka.CreateTopicAsync("kill-regimes", 3);
        var killed = await Topics("killed");
        var reference = await Topics("reference");
        var expected = Symbols.Length * ((Rounds / 10) - 1);

        // Ticks flow for ~25 s while the worker is killed and restarted.
        var feed = Task.Run(() => ProduceAsync(ticks, regimes, TimeSpan.FromSeconds(25)));
        var random = new Random(11);
        var kills = 0;
        WorkerProcess? worker = null;
        try
        {
            worker = await StartAsync(ticks, regimes, killed);
            while (kills < 5)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(random.Next(1500, 4000)));
                await worker.KillAsync();
                await worker.DisposeAsync();
                kills++;
                worker = await StartAsync(ticks, regimes, killed);
            }

            await feed;
            var firstRun = await ReadAsync(killed, expected);
            output.WriteLine($"killed run: {kills} kills, {firstRun.Count} decision records for {expected} bars");

            await using var uninterrupted = await StartAsync(ticks, regimes, reference);
            var secondRun = await ReadAsync(reference, expected);

            var byId = firstRun.GroupBy(d => d.decision_id).ToDictionary(g => g.Key, g => g.ToList());
            Assert.Equal(expected, secondRun.Select(d => d.decision_id).Distinct().Count());
            Assert.Equal(secondRun.Select(d => d.decision_id).Order(), byId.Keys.Order());
            foreach (var copies in byId.Values)
            {
                Assert.Single(copies.Select(Content).Distinct());
            }

            var referenceContent = secondRun.ToDictionary(d => d.decision_id, Content);
            Assert.All(byId, pair => Assert.Equal(referenceContent[pair.Key], Content(pair.Value[0])));
        }
        finally
        {
            if (worker is not null)
            {
                await worker.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task TwoWorkersJoiningAndLeavingDecideExactlyWhatOneWouldHave()
    {
        var ticks = await kafka.CreateTopicAsync("rebalance-ticks", 3);
        var regimes = await kafka.CreateTopicAsync("rebalance-regimes", 3);
        var shared = await Topics("shared");
        var reference = await Topics("single");
        var expected = Symbols.Length * ((Rounds / 10) - 1);

        var feed = Task.Run(() => ProduceAsync(ticks, regimes, TimeSpan.FromSeconds(20)));
        await using var first = await StartAsync(ticks, regimes, shared);
        await Task.Delay(TimeSpan.FromSeconds(4));
        await using var second = await StartAsync(ticks, regimes, shared);
        await Task.Delay(TimeSpan.FromSeconds(5));
        var stopping = await first.TerminateAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(0, first.ExitCode);
        await feed;
        var union = await ReadAsync(shared, expected);

        await using var single = await StartAsync(ticks, regimes, reference);
        var alone = await ReadAsync(reference, expected);

        output.WriteLine($"first worker stopped in {stopping.TotalMilliseconds:F0} ms; {union.Count} records from two workers");
        Assert.Contains("Partitions revoked", first.Output, StringComparison.Ordinal);
        Assert.Contains("Partitions assigned", second.Output, StringComparison.Ordinal);
        var referenceContent = alone.ToDictionary(d => d.decision_id, Content);
        Assert.Equal(expected, referenceContent.Count);
        Assert.Equal(referenceContent.Keys.Order(), union.Select(d => d.decision_id).Distinct().Order());
        Assert.All(union, d => Assert.Equal(referenceContent[d.decision_id], Content(d)));
    }

    [Fact]
    public async Task AGracefulStopCheckpointsSoARestartRepeatsNothing()
    {
        var ticks = await kafka.CreateTopicAsync("graceful-ticks", 3);
        var regimes = await kafka.CreateTopicAsync("graceful-regimes", 3);
        var run = await Topics("graceful");
        var expected = Symbols.Length * ((Rounds / 10) - 1);
        await ProduceAsync(ticks, regimes, TimeSpan.FromSeconds(1));

        // No periodic checkpoint in this run: only the one taken on SIGTERM can spare the restart a replay.
        await using (var worker = await StartAsync(ticks, regimes, run, checkpointInterval: "00:10:00"))
        {
            await Task.Delay(TimeSpan.FromSeconds(3));
            var stopping = await worker.TerminateAsync(TimeSpan.FromSeconds(15));
            Assert.Equal(0, worker.ExitCode);
            Assert.True(stopping < TimeSpan.FromSeconds(10), $"SIGTERM took {stopping}");
        }

        await using var restarted = await StartAsync(ticks, regimes, run);
        var decisions = await ReadAsync(run, expected);

        Assert.Equal(expected, decisions.Count);
        Assert.Equal(expected, decisions.Select(d => d.decision_id).Distinct().Count());
    }

    private async Task<(string Decisions, string Forensics, string State, string DeadLetters, string Group)> Topics(string run) =>
        (await kafka.CreateTopicAsync($"{run}-decisions", 3), await kafka.CreateTopicAsync($"{run}-forensics", 3),
         await kafka.CreateTopicAsync($"{run}-state", 3), await kafka.CreateTopicAsync($"{run}-dlq", 1), $"{run}-{Guid.NewGuid():N}");

    private async Task<WorkerProcess> StartAsync(string ticks, string regimes, (string Decisions, string Forensics, string State, string DeadLetters, string Group) run, string checkpointInterval = "00:00:00.250")
    {
        var worker = WorkerProcess.Start(
            "--urls", "http://127.0.0.1:0",
            "--Kafka:BootstrapServers", kafka.BootstrapServers,
            "--SchemaRegistry:Url", kafka.SchemaRegistryUrl,
            "--Kafka:GroupId", run.Group,
            "--Kafka:Topics:MarketTicks:Name", ticks, "--Kafka:Topics:MarketTicks:Partitions", "3",
            "--Kafka:Topics:RegimeUpdates:Name", regimes, "--Kafka:Topics:RegimeUpdates:Partitions", "3",
            "--Kafka:Topics:TradingDecisions:Name", run.Decisions,
            "--Kafka:Topics:DecisionForensics:Name", run.Forensics,
            "--Kafka:Topics:InferenceState:Name", run.State, "--Kafka:Topics:InferenceState:Partitions", "3",
            "--Kafka:Topics:DeadLetter:Name", run.DeadLetters,
            "--Kafka:Consumer:session.timeout.ms", "2000",
            "--Kafka:Consumer:heartbeat.interval.ms", "500",
            "--State:CheckpointInterval", checkpointInterval,
            "--Features:BarInterval", "00:00:10",
            "--Models:Directory", TestPaths.PyTorchFixtures,
            "--DemoFeed:Enabled", "false");
        await worker.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
        return worker;
    }

    private async Task ProduceAsync(string ticks, string regimes, TimeSpan duration)
    {
        var simulator = new MarketSimulator(Symbols, 5, new DateTimeOffset(2026, 5, 4, 14, 30, 0, TimeSpan.Zero), TimeSpan.FromSeconds(1));
        var bars = Symbols.Select(_ => new Features.BarBuilder(10_000)).ToArray();
        var detectors = Symbols.Select(_ => new RuleBasedRegimeDetector()).ToArray();
        var tickSerde = new ContractSerde<MarketTick>(kafka.Registry);
        var regimeSerde = new ContractSerde<RegimeUpdate>(kafka.Registry);
        using var producer = kafka.CreateProducer();
        var pause = duration / Rounds;
        for (var round = 0; round < Rounds; round++)
        {
            foreach (var (tick, i) in simulator.NextRound().Select((t, i) => (t, i)))
            {
                var message = new MarketTick { symbol = tick.Symbol, event_time = DateTimeOffset.FromUnixTimeMilliseconds(tick.TimeMs).UtcDateTime, price = tick.Price, size = tick.Size };
                producer.Produce(ticks, new Message<string, byte[]> { Key = tick.Symbol, Value = await tickSerde.SerializeAsync(message, ticks) });
                if (bars[i].Add(tick.TimeMs, tick.Price, tick.Size, out var closed) == Features.TickOutcome.ClosedBar && detectors[i].Add(closed.Close) is { } p)
                {
                    var update = new RegimeUpdate { symbol = tick.Symbol, event_time = DateTimeOffset.FromUnixTimeMilliseconds(closed.EndMs).UtcDateTime, bull = p.Bull, bear = p.Bear, sideways = p.Sideways, detector = "test", detector_version = "1" };
                    producer.Produce(regimes, new Message<string, byte[]> { Key = tick.Symbol, Value = await regimeSerde.SerializeAsync(update, regimes) });
                }
            }

            await Task.Delay(pause);
        }

        producer.Flush(TimeSpan.FromSeconds(10));
    }

    /// <summary>Reads decisions until every expected bar has one and nothing new arrives for a while.</summary>
    private async Task<List<TradingDecision>> ReadAsync((string Decisions, string Forensics, string State, string DeadLetters, string Group) run, int expected)
    {
        var serde = new ContractSerde<TradingDecision>(kafka.Registry);
        var decisions = new List<TradingDecision>();
        using var consumer = kafka.CreateConsumer();
        consumer.Subscribe(run.Decisions);
        var deadline = DateTime.UtcNow.AddSeconds(120);
        var quietSince = DateTime.UtcNow;
        while (DateTime.UtcNow < deadline && (decisions.Select(d => d.decision_id).Distinct().Count() < expected || DateTime.UtcNow - quietSince < TimeSpan.FromSeconds(3)))
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } record)
            {
                decisions.Add(await serde.DeserializeAsync(record.Message.Value, record.Topic));
                Assert.Equal(decisions[^1].symbol, record.Message.Key);
                quietSince = DateTime.UtcNow;
            }
        }

        return decisions;
    }

    /// <summary>A decision without its wall-clock fields (produced_at, latency_ms).</summary>
    private static string Content(TradingDecision d) => string.Join('|',
        d.decision_id, d.symbol, d.bar_start.Ticks, d.bar_end.Ticks, d.action, d.proposed_action, d.confidence.ToString("R", CultureInfo.InvariantCulture),
        d.recommended_quantity, d.regime.bull.ToString("R", CultureInfo.InvariantCulture), d.regime.entropy.ToString("R", CultureInfo.InvariantCulture),
        d.strategy_weights.bull_specialist.ToString("R", CultureInfo.InvariantCulture), d.selection, d.selected_model, d.model_version,
        d.risk.approved, string.Join(';', d.risk.warnings), d.risk.checks.position_limit, d.risk.checks.daily_loss_limit);
}
