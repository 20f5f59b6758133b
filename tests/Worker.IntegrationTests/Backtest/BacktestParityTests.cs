using System.Text.Json;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Regimes;
using Inference.Streaming.Tests;
using Inference.Streaming.Tools.Commands;
using Inference.Streaming.Tools.Forensics;
using Inference.Streaming.Worker.IntegrationTests.Hosting;
using Inference.Streaming.Worker.Kafka;
using Xunit.Abstractions;

namespace Inference.Streaming.Worker.IntegrationTests.Backtest;

/// <summary>
/// <c>backtest</c> against the stream: real BTC-USD daily bars fed to a worker process on the embedded broker as the
/// ticks that rebuild each bar give the records <c>backtest</c> writes for the same file, byte for byte in the
/// Confluent wire format, except the two wall-clock fields (<c>produced_at</c>, <c>latency_ms</c>), which a backtest
/// fixes.
/// </summary>
public sealed class BacktestParityTests(ITestOutputHelper output) : IDisposable
{
    private const int Bars = 150;
    private const string Symbol = "BTC-USD";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly string _scratch = Directory.CreateTempSubdirectory("backtest-parity-").FullName;

    [Fact]
    public async Task TheStreamFedTheBarsAsTicksPublishesTheDecisionsBacktestWrites()
    {
        var file = Path.Combine(_scratch, "btc.csv");
        File.WriteAllLines(file, File.ReadAllLines(RepositoryRoot.BtcDaily)[..(Bars + 1)]);
        var written = Path.Combine(_scratch, "out");
        using (var stdout = new StringWriter())
        {
            var code = await ToolCommands.RunAsync(
                [
                    "backtest",
                    "--bars",
                    file,
                    "--symbol",
                    Symbol,
                    "--model-dir",
                    RepositoryRoot.Models,
                    "--regimes-dir",
                    RepositoryRoot.RegimeDetectors,
                    "--output",
                    written,
                    "--device",
                    "cpu",
                ],
                stdout,
                stdout
            );
            Assert.True(code == 0, stdout.ToString());
        }

        await using var broker = WorkerProcess.Start("broker", "--urls", "http://127.0.0.1:0");
        await broker.WaitUntilReadyAsync(StartTimeout);
        var (bootstrap, registryUrl) = (broker.Banner["kafka.bootstrap"], broker.Banner["schema.registry"]);
        using var decisions = new TopicWatch<TradingDecision>(
            bootstrap,
            registryUrl,
            "trading-decisions",
            d => (d.symbol, TopicWatch<TradingDecision>.Ms(d.bar_end))
        );
        using var forensics = new TopicWatch<DecisionForensics>(
            bootstrap,
            registryUrl,
            "decision-forensics",
            f => (f.decision.symbol, TopicWatch<DecisionForensics>.Ms(f.decision.bar_end))
        );
        await using var worker = WorkerProcess.Start(
            "--urls",
            "http://127.0.0.1:0",
            "--Kafka:BootstrapServers",
            bootstrap,
            "--SchemaRegistry:Url",
            registryUrl,
            "--Features:BarInterval",
            "1.00:00:00",
            "--Regimes:Source",
            "Detector",
            "--Inference:Device",
            "cpu"
        );
        await worker.WaitUntilReadyAsync(StartTimeout);
        await ProduceAsync(bootstrap, registryUrl, BarCsv.Read(file));

        var expected = File.ReadAllLines(Path.Combine(written, "decisions.jsonl"))
            .Select(l => JsonSerializer.Deserialize<TradingDecision>(l, ForensicsFiles.JsonOptions)!)
            .ToList();
        Assert.Equal(Bars, expected.Count);
        try
        {
            await Eventually.HoldsAsync(
                () => expected.All(d => decisions.Has(Symbol, TopicWatch<TradingDecision>.Ms(d.bar_end))),
                TimeSpan.FromSeconds(90),
                "a decision for every bar"
            );
        }
        catch
        {
            output.WriteLine($"{decisions.Count} decisions of {expected.Count}; the worker's output:");
            output.WriteLine(worker.Output[Math.Max(0, worker.Output.Length - 6000)..]);
            throw;
        }

        await Eventually.HoldsAsync(
            () => expected.All(d => forensics.Has(Symbol, TopicWatch<DecisionForensics>.Ms(d.bar_end))),
            TimeSpan.FromSeconds(30),
            "a forensics record for every bar"
        );

        using var registry = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = registryUrl });
        var decisionSerde = new ContractSerde<TradingDecision>(registry);
        var forensicsSerde = new ContractSerde<DecisionForensics>(registry);
        var writtenForensics = File.ReadAllLines(Path.Combine(written, "forensics.jsonl"))
            .Select(ForensicsFiles.FromJson)
            .ToList();
        var trades = 0;
        for (var i = 0; i < expected.Count; i++)
        {
            var at = TopicWatch<TradingDecision>.Ms(expected[i].bar_end);
            var streamed = Assert.Single(decisions.All(Symbol, at)).Value;
            (streamed.produced_at, streamed.latency_ms) = (expected[i].produced_at, expected[i].latency_ms);
            Assert.Equal(
                JsonSerializer.Serialize(expected[i], ForensicsFiles.JsonOptions),
                JsonSerializer.Serialize(streamed, ForensicsFiles.JsonOptions)
            );
            Assert.Equal(
                await decisionSerde.SerializeAsync(expected[i], "trading-decisions"),
                await decisionSerde.SerializeAsync(streamed, "trading-decisions")
            );

            // The forensics record too, but for where the input came from and how long it took.
            var record = Assert.Single(forensics.All(Symbol, at)).Value;
            var backtest = writtenForensics[i];
            (record.decision.produced_at, record.decision.latency_ms) = (backtest.decision.produced_at, 0);
            (record.input, record.timings, record.control_generation) = (
                backtest.input,
                backtest.timings,
                backtest.control_generation
            );
            Assert.Equal(
                await forensicsSerde.SerializeAsync(backtest, "decision-forensics"),
                await forensicsSerde.SerializeAsync(record, "decision-forensics")
            );
            trades += streamed.action == TradeAction.HOLD ? 0 : 1;
        }

        output.WriteLine($"{expected.Count} decisions identical, {trades} of them BUY or SELL");
        Assert.InRange(trades, 1, expected.Count - 1);
        Assert.Contains(expected, d => d.regime.bull != d.regime.bear); // the detector moved off its prior
        await worker.TerminateAsync(TimeSpan.FromSeconds(15));
    }

    /// <summary>Each row as its four ticks (<see cref="BarTicks"/>), then one tick of the day after the last to
    /// close it.</summary>
    private static async Task ProduceAsync(string bootstrap, string registryUrl, IReadOnlyList<CsvBar> rows)
    {
        using var registry = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = registryUrl });
        var serde = new ContractSerde<MarketTick>(registry);
        using var producer = new ProducerBuilder<byte[]?, byte[]>(
            new ProducerConfig
            {
                BootstrapServers = bootstrap,
                EnableIdempotence = true,
                Partitioner = Partitioner.Murmur2Random, // the stream's (Kafka:Partitioner)
            }
        ).Build();
        var ticks = rows.SelectMany(r => BarTicks.Of(r.Bar)).ToList();
        ticks.Add((rows[^1].Bar.StartMs + (long)TimeSpan.FromDays(1).TotalMilliseconds, rows[^1].Bar.Close, 0));
        foreach (var (timeMs, price, size) in ticks)
        {
            var tick = new MarketTick
            {
                symbol = Symbol,
                event_time = DateTimeOffset.FromUnixTimeMilliseconds(timeMs).UtcDateTime,
                price = price,
                size = size,
            };
            await producer.ProduceAsync(
                "market-ticks",
                new Message<byte[]?, byte[]>
                {
                    Key = System.Text.Encoding.UTF8.GetBytes(Symbol),
                    Value = await serde.SerializeAsync(tick, "market-ticks"),
                }
            );
        }
    }

    public void Dispose() => Directory.Delete(_scratch, recursive: true);
}
