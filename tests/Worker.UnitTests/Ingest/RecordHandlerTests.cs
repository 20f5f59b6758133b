using System.Buffers.Binary;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Decisions;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Engine.Regimes;
using Inference.Streaming.Engine.Risk;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Embedded.SchemaRegistry;
using Inference.Streaming.Worker.Experiments;
using Inference.Streaming.Worker.Fleet;
using Inference.Streaming.Worker.Ingest;
using Inference.Streaming.Worker.Kafka;
using Inference.Streaming.Worker.Publishing;
using Inference.Streaming.Worker.Regimes;
using Inference.Streaming.Worker.State;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Inference.Streaming.Worker.UnitTests.Ingest;

/// <summary>
/// The ingest stage alone: records in, state changes, closed-bar requests and dead letters out,
/// against fakes of the decision stage and the dead-letter sink, a fake clock, and the embedded
/// Schema Registry over HTTP (the records are real Confluent wire format).
/// </summary>
public sealed class RecordHandlerTests : IAsyncLifetime
{
    private const string Ticks = "market-ticks";
    private const string Regimes = "regime-updates";
    private static readonly DateTime T0 = new(2026, 1, 5, 14, 30, 0, DateTimeKind.Utc);

    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 5, 14, 30, 0, TimeSpan.Zero));
    private readonly FakeDecisionIntake _decisions = new();
    private readonly FakeDeadLetterSink _deadLetters = new();
    private readonly SymbolDirectory _directory = new();
    private readonly InferenceTelemetry _telemetry = new();
    private EmbeddedSchemaRegistry? _registry;
    private CachedSchemaRegistryClient? _client;
    private long _offset;
    private FakePositionsSink? _positions;

    private FeatureOptions Features { get; } =
        new()
        {
            BarInterval = TimeSpan.FromMinutes(1),
            LateTolerance = TimeSpan.Zero,
            MaxEventTimeSkew = TimeSpan.FromMinutes(5),
            EventTimeReference = EventTimeReference.Watermark,
            RegimeAlignmentTimeout = TimeSpan.FromSeconds(5),
        };

    public async Task InitializeAsync()
    {
        _registry = await EmbeddedSchemaRegistry.StartAsync(0, CancellationToken.None);
        _client = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = _registry.Url });
    }

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_registry is not null)
        {
            await _registry.DisposeAsync();
        }

        _telemetry.Dispose();
        await _services.DisposeAsync();
    }

    [Fact]
    public void WithABookAPartitionReportsProgressRefusesABarItHasPassedAndTombstonesAnEvictedMappedSymbol()
    {
        Features.SymbolIdleTimeout = TimeSpan.FromMinutes(3);
        var handler = Handler(sectors: new() { ["AAPL"] = "tech", ["MSFT"] = "tech" });
        Handle(handler, Tick("MSFT", 20, 300));
        Handle(handler, Tick("AAPL", 130, 100)); // event time 130 s: MSFT's bar [0 s, 60 s) closes

        var at120 = new DateTimeOffset(T0.AddSeconds(120)).ToUnixTimeMilliseconds();
        Assert.Contains(_decisions.Progressed, p => p.ThroughMs == at120);
        // MSFT's next bar, [60 s, 120 s), is one its partition has told the fleet is decided: refused.
        Handle(handler, Tick("MSFT", 90, 301));
        Assert.Equal(DeadLetterReasons.LateTick, Assert.Single(_deadLetters.Letters).Reason);
        Assert.Contains("reported to the fleet's book", _deadLetters.Letters[0].Detail, StringComparison.Ordinal);

        // Idle past Features:SymbolIdleTimeout: MSFT leaves, and the positions table gets its tombstone.
        Handle(handler, Tick("AAPL", 400, 100));
        Handle(handler, Tick("MSFT", 410, 302));
        Assert.Equal(["MSFT"], _positions!.Evictions);
    }

    [Fact]
    public void ATickForABarThatHasClosedIsDeadLetteredAsLateAndChangesNothing()
    {
        var handler = Handler();
        Handle(handler, Tick("AAPL", 10, 100));
        Handle(handler, Tick("AAPL", 70, 101)); // closes [0 s, 60 s)
        var before = handler.Partitions[0].Symbols["AAPL"].Bars.OpenBar;

        Handle(handler, Tick("AAPL", 30, 99));

        var letter = Assert.Single(_deadLetters.Letters);
        Assert.Equal(DeadLetterReasons.LateTick, letter.Reason);
        Assert.Contains("closed", letter.Detail, StringComparison.Ordinal);
        Assert.Single(_decisions.Requests);
        Assert.Equal(before, handler.Partitions[0].Symbols["AAPL"].Bars.OpenBar);
    }

    [Fact]
    public void AQuietSymbolsBarClosesWhenThePartitionsEventTimePassesItsEnd()
    {
        var handler = Handler();
        Handle(handler, Tick("AAPL", 10, 100));
        Handle(handler, Tick("MSFT", 20, 300));

        // Only AAPL trades again; its tick moves the partition's event time past MSFT's bar too.
        Handle(handler, Tick("AAPL", 130, 102));

        Assert.Equal(["AAPL", "MSFT"], _decisions.Requests.Select(r => r.Symbol.Symbol).Order());
        var msft = _decisions.Requests.Single(r => r.Symbol.Symbol == "MSFT");
        Assert.Equal(Ms(0), msft.Bar.StartMs);
        Assert.Equal(300, msft.Bar.Close);
        Assert.Equal(Observation.Width, msft.Features.Length);
        Assert.Empty(_deadLetters.Letters);
    }

    [Fact]
    public void TheNextBarWaitsForThePreviousDecisionAndSeesItsTradeInThePortfolio()
    {
        var handler = Handler();
        _decisions.Answer = TradeAction.BUY;
        Handle(handler, Tick("AAPL", 10, 100));
        Handle(handler, Tick("AAPL", 70, 100)); // bar 1 closes: BUY at 100
        var state = handler.Partitions[0].Symbols["AAPL"];
        Assert.True(state.HasDecisionInFlight);
        Assert.Equal(0, state.Portfolio.Shares);

        Handle(handler, Tick("AAPL", 130, 100)); // bar 2 closes: bar 1's BUY is applied first

        Assert.True(state.Portfolio.Shares > 0);
        Assert.Equal(2, _decisions.Requests.Count);
        // The observation the REST path sees for bar 2 holds the position bar 1 bought.
        Assert.True(_directory.Find("AAPL", null, out _)!.Shares > 0);
    }

    [Fact]
    public void EveryRuleForBadInputDeadLettersWithItsOwnReason()
    {
        Features.MaxSymbols = 2;
        var handler = Handler();
        Handle(handler, Tick("AAPL", 600, 100)); // the partition's event time is now 10 minutes in
        Handle(handler, Tick("MSFT", 600, 100));

        var cases = new (string Reason, ConsumeResult<byte[]?, byte[]> Record)[]
        {
            (DeadLetterReasons.Malformed, Raw(Ticks, [0, 0, 0, 0, 1, 0xFF])),
            (DeadLetterReasons.Malformed, Raw(Ticks, [1, 2, 3])),
            (DeadLetterReasons.UnknownSchema, Raw(Ticks, WireFormat(987_654, [2, 0]))),
            // A regime update's bytes (registered under another subject) on the ticks topic.
            (
                DeadLetterReasons.IncompatibleSchema,
                Raw(Ticks, Regime("other-topic", "AAPL", 600, 0.5, 0.3, 0.2).Message.Value)
            ),
            (DeadLetterReasons.InvalidTick, Tick("AAPL", 601, double.NaN)),
            (DeadLetterReasons.InvalidTick, Tick("AAPL", 601, -1)),
            (DeadLetterReasons.InvalidTick, Tick("not a symbol!", 601, 100)),
            (DeadLetterReasons.InvalidTick, Tick("AAPL", -50 * 365 * 24 * 3600L, 100)), // before Features:MinEventTime
            (DeadLetterReasons.LateTick, Tick("AAPL", 540, 100)), // older than AAPL's first bar, which is still open
            (DeadLetterReasons.FutureEvent, Tick("AAPL", 600 + 301, 100)),
            (DeadLetterReasons.LateTick, Tick("NVDA", 10, 100)),
            (DeadLetterReasons.SymbolLimit, Tick("TSLA", 601, 100)),
            (DeadLetterReasons.InvalidRegime, Regime(Regimes, "AAPL", 600, -0.5, 1.2, 0.3)),
            (DeadLetterReasons.InvalidRegime, Regime(Regimes, "AAPL", 600, double.NaN, 0.5, 0.5)),
            (DeadLetterReasons.FutureEvent, Regime(Regimes, "AAPL", 600 + 301, 0.5, 0.3, 0.2)),
        };

        foreach (var (reason, record) in cases)
        {
            _deadLetters.Letters.Clear();
            Handle(handler, record);
            var letter = Assert.Single(_deadLetters.Letters);
            Assert.True(
                reason == letter.Reason,
                $"offset {record.Offset.Value}: expected {reason}, got {letter.Reason}: {letter.Detail}"
            );
        }

        Assert.Equal(["AAPL", "MSFT"], handler.Partitions[0].Symbols.Keys.Order());
        Assert.Empty(_decisions.Requests);
    }

    [Fact]
    public void AnExceptionNoRuleForesawIsDeadLetteredAsAProcessingError()
    {
        var handler = Handler();
        var record = Tick("AAPL", 10, 100);
        var tracked = new TrackedRecord(record.Offset.Value);

        handler.Handler.Failed(record, tracked, new InvalidOperationException("boom"));

        var letter = Assert.Single(_deadLetters.Letters);
        Assert.Equal(DeadLetterReasons.ProcessingError, letter.Reason);
        Assert.Contains("boom", letter.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void ARecordWhoseSchemaCannotBeFetchedIsDeadLetteredAsRegistryUnavailable()
    {
        var record = Tick("AAPL", 10, 100); // registered while the registry is up
        using var unreachable = new CachedSchemaRegistryClient(
            new SchemaRegistryConfig { Url = "http://127.0.0.1:9", RequestTimeoutMs = 2000 }
        );
        var handler = Handler(unreachable);

        Handle(handler, record);

        var letter = Assert.Single(_deadLetters.Letters);
        Assert.Equal(DeadLetterReasons.RegistryUnavailable, letter.Reason);
    }

    [Fact]
    public void ATickWaitsForItsPartitionsRegimeUpdatesUntilTheyCatchUp()
    {
        var handler = Handler();
        var alignment = handler.Alignment();
        handler.Assign([0]);
        Handle(handler, Regime(Regimes, "AAPL", 50, 0.6, 0.2, 0.2));
        var tick = Tick("AAPL", 130, 100);

        // Updates have reached 50 s; the tick's bar starts at 120 s.
        Assert.False(alignment.CaughtUp(tick));
        alignment.Hold(tick);
        Assert.Empty(alignment.Release());

        Handle(handler, Regime(Regimes, "AAPL", 121, 0.1, 0.8, 0.1));

        Assert.Same(tick, Assert.Single(alignment.Release()));
        Assert.Equal(0, alignment.Held);
    }

    [Fact]
    public void AHeldTickGoesOnceTheAlignmentTimeoutPassesOnTheClock()
    {
        var handler = Handler();
        var alignment = handler.Alignment();
        handler.Assign([0]);
        var tick = Tick("AAPL", 130, 100);

        // The partition has never carried an update and its regime partition is not read to the end.
        Assert.False(alignment.CaughtUp(tick));
        alignment.Hold(tick);
        _time.Advance(Features.RegimeAlignmentTimeout - TimeSpan.FromMilliseconds(1));
        Assert.Empty(alignment.Release());

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Same(tick, Assert.Single(alignment.Release()));
    }

    [Fact]
    public void ARegimePartitionReadToItsEndLetsTicksThroughWithoutWaiting()
    {
        var handler = Handler();
        var alignment = handler.Alignment();
        handler.Assign([0]);
        var tick = Tick("AAPL", 130, 100);
        Assert.False(alignment.CaughtUp(tick));

        alignment.ReadToEnd(0);

        Assert.True(alignment.CaughtUp(tick));
        Assert.True(
            alignment.CaughtUp(Raw(Ticks, [9, 9, 9])),
            "an undecodable record never waits: it is dead-lettered"
        );
    }

    [Fact]
    public void AShadowExperimentsPaperPnlIsReportedForTheSymbolsThisWorkerHoldsAndNoLongerOnceTheirPartitionIsRevoked()
    {
        var meters = _services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        var arms = new ExperimentArms(
            Options.Create(new ExperimentOptions { Mode = ExperimentMode.Shadow, Id = "exp" }),
            meters
        );
        using var pnl = new MetricCollector<double>(meters, ExperimentArms.MeterName, "inference_experiment_paper_pnl");
        var handler = Handler(experiments: arms);
        Handle(handler, Tick("AAPL", 10, 100));
        Handle(handler, Tick("AAPL", 70, 101)); // closes [0 s, 60 s)
        Handle(handler, Tick("AAPL", 130, 102)); // closes [60 s, 120 s)

        pnl.RecordObservableInstruments();
        var held = pnl.GetMeasurementSnapshot();
        Assert.All(_decisions.Requests, r => Assert.NotNull(r.Shadow));
        Assert.Equal(
            ["challenger", "champion"],
            held.Where(m => (string?)m.Tags["symbol"] == "AAPL").Select(m => (string)m.Tags["arm"]!).Distinct().Order()
        );

        handler.Revoke([0]);
        pnl.Clear();
        pnl.RecordObservableInstruments();

        Assert.Empty(pnl.GetMeasurementSnapshot());
    }

    private Stages Handler(
        ISchemaRegistryClient? registry = null,
        ExperimentArms? experiments = null,
        Dictionary<string, string>? sectors = null
    )
    {
        var inference = Options.Create(new InferenceOptions());
        var risk = Options.Create(new RiskOptions { Sectors = sectors ?? [] });
        var features = Options.Create(Features);
        var kafka = Options.Create(new KafkaOptions());
        var metrics = new PipelineMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        IBarExperiment experiment = experiments is null ? NoExperiment.Instance : new RunningExperiment(experiments);
        var regimeOptions = Options.Create(new RegimeOptions());
        var regimes = new StreamRegimes(
            regimeOptions,
            new RegimeDetectorCatalog(regimeOptions, _time, NullLogger<RegimeDetectorCatalog>.Instance)
        );
        var book = new PositionsBook(new SectorMap(risk), risk, features, kafka);
        var owned = new OwnedPartitions(
            features,
            _directory,
            experiment,
            metrics,
            book,
            _positions = new FakePositionsSink(book),
            NullLogger<OwnedPartitions>.Instance
        );
        var closer = new BarCloser(
            _decisions,
            new DecisionFunction(new MetaControllerWeights(), new RiskChecker(risk), inference),
            regimes,
            experiment,
            _directory,
            _telemetry,
            metrics,
            book,
            kafka,
            features
        );
        var handler = new RecordHandler(
            registry ?? _client!,
            owned,
            new RecordRules(features, _time),
            closer,
            _deadLetters,
            metrics,
            kafka,
            features,
            book,
            NullLogger<RecordHandler>.Instance
        );
        return new Stages(handler, owned, regimes, features, _time, book);
    }

    /// <summary>The ingest stages as the ingest service wires them.</summary>
    private sealed record Stages(
        RecordHandler Handler,
        OwnedPartitions Owned,
        StreamRegimes Regimes,
        IOptions<FeatureOptions> Features,
        TimeProvider Time,
        PositionsBook Book
    )
    {
        public IReadOnlyDictionary<int, PartitionState> Partitions => Owned.Partitions;

        public void Assign(IEnumerable<int> partitions) => Owned.Assign(partitions);

        public void Revoke(IEnumerable<int> partitions) => Owned.Revoke(partitions);

        public RegimeAlignment Alignment() => new(Handler, Owned, Features, Time, Regimes, Book);
    }

    private void Handle(Stages stages, ConsumeResult<byte[]?, byte[]> record)
    {
        var tracked = new TrackedRecord(record.Offset.Value);
        stages.Handler.Handle(record, tracked, _time.GetTimestamp(), CancellationToken.None);
        tracked.Complete();
    }

    private ConsumeResult<byte[]?, byte[]> Tick(string symbol, long seconds, double price) =>
        Raw(
            Ticks,
            new ContractSerde<MarketTick>(_client!).Serialize(
                new MarketTick
                {
                    symbol = symbol,
                    event_time = T0.AddSeconds(seconds),
                    price = price,
                    size = 10,
                },
                Ticks
            )
        );

    private ConsumeResult<byte[]?, byte[]> Regime(
        string topic,
        string symbol,
        long seconds,
        double bull,
        double bear,
        double sideways
    ) =>
        Raw(
            topic,
            new ContractSerde<RegimeUpdate>(_client!).Serialize(
                new RegimeUpdate
                {
                    symbol = symbol,
                    event_time = T0.AddSeconds(seconds),
                    bull = bull,
                    bear = bear,
                    sideways = sideways,
                    detector = "test",
                    detector_version = "1",
                },
                topic
            )
        );

    private ConsumeResult<byte[]?, byte[]> Raw(string topic, byte[] value) =>
        new()
        {
            Topic = topic,
            Partition = new Partition(0),
            Offset = new Offset(_offset++),
            Message = new Message<byte[]?, byte[]> { Key = null, Value = value },
        };

    private static byte[] WireFormat(int schemaId, byte[] body)
    {
        var bytes = new byte[5 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(1, 4), schemaId);
        body.CopyTo(bytes, 5);
        return bytes;
    }

    private static long Ms(long seconds) => new DateTimeOffset(T0.AddSeconds(seconds)).ToUnixTimeMilliseconds();
}
