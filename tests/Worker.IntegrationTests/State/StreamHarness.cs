using System.Globalization;
using Confluent.Kafka;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Regimes;
using Inference.Streaming.Engine.Simulation;
using Inference.Streaming.Worker.IntegrationTests.Hosting;
using Inference.Streaming.Worker.IntegrationTests.Kafka;
using Inference.Streaming.Worker.Kafka;

namespace Inference.Streaming.Worker.IntegrationTests.State;

/// <summary>
/// Runs worker processes over a simulated market on the test broker: each run has its own output
/// topics, state topic and group; decisions are read back by an independent consumer.
/// </summary>
internal sealed class StreamHarness(KafkaFixture kafka)
{
    public static readonly string[] Symbols = ["AAA", "BBB", "CCC", "DDD"];
    public const int Rounds = 1500;

    /// <summary>Every bar of every symbol but the last, still open.</summary>
    public static int ExpectedDecisions => Symbols.Length * BarsClosedBefore(Rounds);

    /// <summary>Bars of each symbol closed before round <paramref name="round"/> is produced: a bar is 10 rounds and
    /// closes with the first tick of the next, so the bar of round <c>round - 1</c> is still open.</summary>
    public static int BarsClosedBefore(int round) => Math.Max(0, ((round + 9) / 10) - 1);

    public async Task<(string Decisions, string Forensics, string State, string DeadLetters, string Group)> Topics(
        string run
    ) =>
        (
            await kafka.CreateTopicAsync($"{run}-decisions", 3),
            await kafka.CreateTopicAsync($"{run}-forensics", 3),
            await kafka.CreateTopicAsync($"{run}-state", 3),
            await kafka.CreateTopicAsync($"{run}-dlq", 1),
            $"{run}-{Guid.NewGuid():N}"
        );

    public async Task<WorkerProcess> StartAsync(
        string ticks,
        string regimes,
        (string Decisions, string Forensics, string State, string DeadLetters, string Group) run,
        string checkpointInterval = "00:00:00.250",
        params string[] settings
    )
    {
        await kafka.CreateFleetTopicsAsync(run.Group, 3);
        // The caller's settings come last, so they win over the harness's defaults.
        var worker = WorkerProcess.Start([
            "--urls",
            "http://127.0.0.1:0",
            "--Kafka:BootstrapServers",
            kafka.BootstrapServers,
            "--SchemaRegistry:Url",
            kafka.SchemaRegistryUrl,
            "--Kafka:GroupId",
            run.Group,
            "--Kafka:Topics:MarketTicks:Name",
            ticks,
            "--Kafka:Topics:MarketTicks:Partitions",
            "3",
            "--Kafka:Topics:RegimeUpdates:Name",
            regimes,
            "--Kafka:Topics:RegimeUpdates:Partitions",
            "3",
            "--Kafka:Topics:TradingDecisions:Name",
            run.Decisions,
            "--Kafka:Topics:DecisionForensics:Name",
            run.Forensics,
            "--Kafka:Topics:TradingDecisionsShadow:Name",
            ShadowTopic(run),
            "--Kafka:Topics:InferenceState:Name",
            run.State,
            "--Kafka:Topics:InferenceState:Partitions",
            "3",
            "--Kafka:Topics:DeadLetter:Name",
            run.DeadLetters,
            "--Kafka:Consumer:session.timeout.ms",
            "2000",
            "--Kafka:Consumer:heartbeat.interval.ms",
            "500",
            "--State:CheckpointInterval",
            checkpointInterval,
            "--Features:BarInterval",
            "00:00:10",
            "--Models:Directory",
            TestPaths.PyTorchFixtures,
            "--DemoFeed:Enabled",
            "false",
            .. settings,
        ]);
        await worker.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
        return worker;
    }

    /// <summary>Simulated time of the first round; round r is r seconds later.</summary>
    public static readonly DateTimeOffset Start = new(2026, 5, 4, 14, 30, 0, TimeSpan.Zero);

    /// <summary>Produces the market; <paramref name="inject"/> runs before each round (its number given) to add records
    /// of its own.</summary>
    public async Task ProduceAsync(
        string ticks,
        string regimes,
        TimeSpan duration,
        Func<int, IProducer<string, byte[]>, Task>? inject = null
    )
    {
        var simulator = new MarketSimulator(Symbols, 5, Start, TimeSpan.FromSeconds(1));
        var bars = Symbols.Select(_ => new Engine.Features.BarBuilder(10_000)).ToArray();
        var detectors = Symbols.Select(_ => new RuleBasedRegimeDetector()).ToArray();
        var tickSerde = new ContractSerde<MarketTick>(kafka.Registry);
        var regimeSerde = new ContractSerde<RegimeUpdate>(kafka.Registry);
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        // Brokers going away are transient (the fault tests do it on purpose); a fatal error or a lost record is not.
        using var producer = kafka.CreateProducer(error =>
        {
            if (error.IsFatal)
            {
                failures.Enqueue(error.Reason);
            }
        });
        void Delivered(DeliveryReport<string, byte[]> report)
        {
            if (report.Error.IsError)
            {
                failures.Enqueue($"{report.Topic} {report.Message.Key}: {report.Error.Reason}");
            }
        }

        var pause = duration / Rounds;
        for (var round = 0; round < Rounds; round++)
        {
            if (inject is not null)
            {
                await inject(round, producer);
            }

            foreach (var (tick, i) in simulator.NextRound().Select((t, i) => (t, i)))
            {
                var message = new MarketTick
                {
                    symbol = tick.Symbol,
                    event_time = DateTimeOffset.FromUnixTimeMilliseconds(tick.TimeMs).UtcDateTime,
                    price = tick.Price,
                    size = tick.Size,
                };
                producer.Produce(
                    ticks,
                    new Message<string, byte[]>
                    {
                        Key = tick.Symbol,
                        Value = await tickSerde.SerializeAsync(message, ticks),
                    },
                    Delivered
                );
                if (
                    bars[i].Add(tick.TimeMs, tick.Price, tick.Size, out var closed)
                        == Engine.Features.TickOutcome.ClosedBar
                    && detectors[i].Add(closed.Close) is { } p
                )
                {
                    var update = new RegimeUpdate
                    {
                        symbol = tick.Symbol,
                        event_time = DateTimeOffset.FromUnixTimeMilliseconds(closed.EndMs).UtcDateTime,
                        bull = p.Bull,
                        bear = p.Bear,
                        sideways = p.Sideways,
                        detector = "test",
                        detector_version = "1",
                    };
                    producer.Produce(
                        regimes,
                        new Message<string, byte[]>
                        {
                            Key = tick.Symbol,
                            Value = await regimeSerde.SerializeAsync(update, regimes),
                        },
                        Delivered
                    );
                }
            }

            await Task.Delay(pause);
        }

        producer.Flush(TimeSpan.FromSeconds(10));
        // A lost honest record would make every comparison meaningless: say so instead.
        Assert.True(failures.IsEmpty, "producing the market failed: " + string.Join("; ", failures.Take(5)));
    }

    /// <summary>The run's shadow decisions' topic (<c>Experiments:Mode Shadow</c>).</summary>
    public static string ShadowTopic(
        (string Decisions, string Forensics, string State, string DeadLetters, string Group) run
    ) => run.Decisions + ".shadow";

    /// <summary>Creates <see cref="ShadowTopic"/>, which a shadow run needs (the test broker cannot create
    /// topics for the worker).</summary>
    public Task CreateShadowTopicAsync(
        (string Decisions, string Forensics, string State, string DeadLetters, string Group) run
    ) => kafka.CreateNamedTopicAsync(ShadowTopic(run), 3);

    /// <summary>Reads decisions (or with <paramref name="shadow"/> the shadow decisions) until every expected bar has
    /// one and nothing new arrives for a while.</summary>
    public async Task<List<TradingDecision>> ReadAsync(
        (string Decisions, string Forensics, string State, string DeadLetters, string Group) run,
        int expected,
        bool shadow = false
    )
    {
        var serde = new ContractSerde<TradingDecision>(kafka.Registry);
        var decisions = new List<TradingDecision>();
        using var consumer = kafka.CreateConsumer();
        consumer.Subscribe(shadow ? ShadowTopic(run) : run.Decisions);
        var deadline = DateTime.UtcNow.AddSeconds(120);
        var quietSince = DateTime.UtcNow;
        while (
            DateTime.UtcNow < deadline
            && (
                decisions.Select(d => d.decision_id).Distinct().Count() < expected
                || DateTime.UtcNow - quietSince < TimeSpan.FromSeconds(3)
            )
        )
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

    /// <summary>Every record of <paramref name="topic"/>, read until nothing new arrives for 3 s.</summary>
    public async Task<List<T>> ReadAllAsync<T>(string topic)
        where T : class, Avro.Specific.ISpecificRecord
    {
        var serde = new ContractSerde<T>(kafka.Registry);
        var values = new List<T>();
        using var consumer = kafka.CreateConsumer();
        kafka.AssignFromStart(consumer, topic);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var quietSince = DateTime.UtcNow;
        while (DateTime.UtcNow < deadline && DateTime.UtcNow - quietSince < TimeSpan.FromSeconds(3))
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } record)
            {
                values.Add(await serde.DeserializeAsync(record.Message.Value, record.Topic));
                quietSince = DateTime.UtcNow;
            }
        }

        return values;
    }

    /// <summary>
    /// A sector map over the harness's symbols with a concentration limit low enough that the book
    /// decides some checks: runs that use it show that the book survives kills and rebalances. The
    /// trained models of <c>models/</c> buy now and then (the PyTorch fixtures only sell or hold).
    /// </summary>
    public static readonly string[] SectorBook =
    [
        // CCC and DDD share a partition by murmur2 (Kafka:Partitioner), so the tech book has peers in it.
        "--Risk:Sectors:AAA",
        "tech",
        "--Risk:Sectors:BBB",
        "energy",
        "--Risk:Sectors:CCC",
        "tech",
        "--Risk:Sectors:DDD",
        "tech",
        "--Risk:ConcentrationLimit",
        "0.005",
        "--Models:Directory",
        TrainedModels,
    ];

    public static string TrainedModels => Path.Combine(TestPaths.RepositoryRoot, "models");

    /// <summary>A decision without its wall-clock fields (produced_at, latency_ms).</summary>
    public static string Content(TradingDecision d) =>
        string.Join(
            '|',
            d.decision_id,
            d.symbol,
            d.bar_start.Ticks,
            d.bar_end.Ticks,
            d.action,
            d.proposed_action,
            d.confidence.ToString("R", CultureInfo.InvariantCulture),
            d.recommended_quantity,
            d.regime.bull.ToString("R", CultureInfo.InvariantCulture),
            d.regime.entropy.ToString("R", CultureInfo.InvariantCulture),
            d.strategy_weights.bull_specialist.ToString("R", CultureInfo.InvariantCulture),
            d.selection,
            d.selected_model,
            d.model_version,
            d.risk.approved,
            string.Join(';', d.risk.warnings),
            d.risk.checks.position_limit,
            d.risk.checks.concentration,
            d.risk.checks.daily_loss_limit,
            d.experiment is { } e ? $"{e.id}/{e.arm}/{e.mode}" : "-"
        );
}
