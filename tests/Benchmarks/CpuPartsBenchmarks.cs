using BenchmarkDotNet.Attributes;
using Confluent.SchemaRegistry;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Tests;
using Inference.Streaming.Worker.Embedded.SchemaRegistry;
using Inference.Streaming.Worker.Kafka;
using Inference.Streaming.Worker.Publishing;

namespace Inference.Streaming.Benchmarks;

/// <summary>
/// What one tick's and one decision's work costs alone (issue 31's CPU budget), beside the pipeline's CPU per tick
/// and per decision from <c>--pipeline throughput</c>: a tick's Avro decode, its bar update (a bar every 250
/// ticks, the close included), one bar's feature step, the fleet's observation record for a closed bar; a
/// decision's two record encodes and the walk of both for non-finite numbers. The forward per row is
/// <see cref="ForwardBenchmarks"/>' engine call at the batch reached; the two produces are <c>--produce-cost</c>.
/// All on one thread, so the time is the thread's CPU time.
/// </summary>
[MemoryDiagnoser]
public class CpuPartsBenchmarks
{
    private const int TicksPerBar = 250;

    private EmbeddedSchemaRegistry _registry = null!;
    private CachedSchemaRegistryClient _client = null!;
    private ContractSerde<MarketTick> _ticks = null!;
    private ContractSerde<TradingDecision> _decisions = null!;
    private ContractSerde<DecisionForensics> _forensics = null!;
    private ContractSerde<SymbolObservation> _observations = null!;
    private SymbolObservation _observed = null!;
    private byte[] _tickBytes = [];
    private DecisionForensics _sample = null!;
    private BarBuilder _bars = null!;
    private Indicators _indicators = null!;
    private readonly PaperPortfolio _portfolio = new();
    private readonly float[] _observation = new float[Observation.Width];
    private long _timeMs;
    private double _price = 100;

    [GlobalSetup]
    public void Setup()
    {
        _registry = EmbeddedSchemaRegistry.StartAsync(0, CancellationToken.None).GetAwaiter().GetResult();
        _client = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = _registry.Url });
        _ticks = new ContractSerde<MarketTick>(_client);
        _decisions = new ContractSerde<TradingDecision>(_client);
        _forensics = new ContractSerde<DecisionForensics>(_client);
        _tickBytes = _ticks.Serialize(
            new MarketTick
            {
                symbol = "S042",
                event_time = new DateTime(2026, 2, 2, 14, 30, 0, DateTimeKind.Utc),
                price = 101.25,
                size = 300,
            },
            "market-ticks"
        );
        _sample = SampleRecords.Forensics();
        _observations = new ContractSerde<SymbolObservation>(_client);
        _observed = new SymbolObservation
        {
            symbol = "S042",
            partition = 3,
            instance = "worker-0",
            bar = new ObservedBar
            {
                start_ms = 1_770_042_600_000,
                end_ms = 1_770_042_601_000,
                open = 101,
                high = 102,
                low = 100,
                close = 101.5,
                volume = 25_000,
                ticks = 250,
            },
            features = [.. Enumerable.Range(0, Observation.Width).Select(i => i / 43f)],
            regime = new ObservedRegime
            {
                bull = 0.5,
                bear = 0.3,
                sideways = 0.2,
                entropy = 1.03,
            },
            cash = 100_000,
            shares = 0,
            initial_capital = 100_000,
            day = 20_486,
            day_open_value = 100_000,
            book = new ObservedBook(),
        };
        _ = _observations.Serialize(_observed, "symbol-observations");
        // Warm the serializers' schema registration, as a running worker has.
        _ = _decisions.Serialize(_sample.decision, "trading-decisions");
        _ = _forensics.Serialize(_sample, "decision-forensics");
        _bars = new BarBuilder(1000);
        _indicators = new Indicators();
        for (var i = 0; i < 64; i++)
        {
            _indicators.Add(NextBar(i));
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.Dispose();
        _registry.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark]
    public MarketTick TickDecode() => _ticks.Deserialize(_tickBytes, "market-ticks");

    /// <summary>One tick into its symbol's open bar; every 250th closes it (1-second bars, 4 ms apart).</summary>
    [Benchmark]
    public TickOutcome TickBarUpdate()
    {
        _timeMs += 1000 / TicksPerBar;
        _price *= 1.0001;
        return _bars.Add(_timeMs, _price, 100, out _);
    }

    /// <summary>A closed bar into the indicators, and the 43-feature observation written from them.</summary>
    [Benchmark]
    public float BarFeatures()
    {
        _indicators.Add(NextBar(_indicators.BarCount));
        Observation.Compute(_portfolio, _indicators, _observation);
        return _observation[0];
    }

    /// <summary>The decision and its forensics record, Avro with the Confluent wire format.</summary>
    [Benchmark]
    public int DecisionEncodes() =>
        _decisions.Serialize(_sample.decision, "trading-decisions").Length
        + _forensics.Serialize(_sample, "decision-forensics").Length;

    /// <summary>The walk of both records for non-finite numbers that the batcher makes before it publishes.</summary>
    [Benchmark]
    public bool DecisionFiniteChecks() =>
        FiniteCheck.FirstNonFinite(_sample.decision) is null && FiniteCheck.FirstNonFinite(_sample) is null;

    /// <summary>A closed bar's observation record for the fleet's read model (<c>symbol-observations</c>).</summary>
    [Benchmark]
    public int ObservationEncode() => _observations.Serialize(_observed, "symbol-observations").Length;

    private static Bar NextBar(long i)
    {
        var close = 100 + (10 * Math.Sin(i / 7.0));
        return new Bar(
            i * 1000,
            (i + 1) * 1000,
            close - 0.5,
            close + 1,
            close - 1,
            close,
            1_000 + (i % 50),
            TicksPerBar
        );
    }
}
