using System.Buffers.Binary;
using Confluent.Kafka;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Regimes;
using Inference.Streaming.Engine.Simulation;
using Inference.Streaming.Worker.IntegrationTests.Kafka;
using Inference.Streaming.Worker.Kafka;

namespace Inference.Streaming.Worker.IntegrationTests.Pipeline;

/// <summary>
/// A recorded market for end-to-end runs: simulated ticks and the seed detector's regime updates
/// for a few symbols, with poison records mixed in, produced once into fresh topics. Keeps what
/// a test needs to predict the output: the valid ticks, the regime updates and every offset.
/// </summary>
internal sealed class RecordedMarket
{
    public const long BarMs = 10_000;
    public static readonly string[] Symbols = ["AAA", "BBB", "CCC", "DDD"];

    public required string TicksTopic { get; init; }

    public required string RegimesTopic { get; init; }

    /// <summary>Valid ticks per symbol, in order, with their offsets.</summary>
    public Dictionary<
        string,
        List<(long TimeMs, double Price, double Size, int Partition, long Offset)>
    > Ticks { get; } = [];

    /// <summary>Regime updates per symbol, in produce order.</summary>
    public Dictionary<string, List<(long EventTimeMs, double Bull, double Bear, double Sideways)>> Regimes { get; } =
    [];

    /// <summary>Poison records: reason expected in <c>dlq.reason</c>, with where they were written.</summary>
    public List<(string Reason, string Topic, int Partition, long Offset)> Poison { get; } = [];

    public static async Task<RecordedMarket> ProduceAsync(KafkaFixture kafka, int rounds, int seed)
    {
        var market = new RecordedMarket
        {
            TicksTopic = await kafka.CreateTopicAsync("ticks", partitions: 3),
            RegimesTopic = await kafka.CreateTopicAsync("regimes", partitions: 3),
        };
        var simulator = new MarketSimulator(
            Symbols,
            seed,
            new DateTimeOffset(2026, 3, 2, 14, 30, 0, TimeSpan.Zero),
            TimeSpan.FromSeconds(1)
        );
        var bars = Symbols.Select(_ => new BarBuilder(BarMs)).ToArray();
        var detectors = Symbols.Select(_ => new RuleBasedRegimeDetector()).ToArray();
        var ticks = new ContractSerde<MarketTick>(kafka.Registry);
        var regimes = new ContractSerde<RegimeUpdate>(kafka.Registry);
        using var producer = new ProducerBuilder<byte[]?, byte[]>(
            new ProducerConfig
            {
                BootstrapServers = kafka.BootstrapServers,
                EnableIdempotence = true,
                Acks = Acks.All,
                Partitioner = Partitioner.Murmur2Random,
            }
        ).Build();

        async Task<DeliveryResult<byte[]?, byte[]>> Send(string topic, string key, byte[] value) =>
            await producer.ProduceAsync(
                topic,
                new Message<byte[]?, byte[]> { Key = System.Text.Encoding.UTF8.GetBytes(key), Value = value }
            );

        foreach (var symbol in Symbols)
        {
            market.Ticks[symbol] = [];
            market.Regimes[symbol] = [];
        }

        for (var round = 0; round < rounds; round++)
        {
            foreach (var (tick, i) in simulator.NextRound().Select((t, i) => (t, i)))
            {
                var message = tick.ToContract();
                var delivered = await Send(
                    market.TicksTopic,
                    tick.Symbol,
                    await ticks.SerializeAsync(message, market.TicksTopic)
                );
                market
                    .Ticks[tick.Symbol]
                    .Add((tick.TimeMs, tick.Price, tick.Size, delivered.Partition.Value, delivered.Offset.Value));
                if (
                    bars[i].Add(tick.TimeMs, tick.Price, tick.Size, out var closed) == TickOutcome.ClosedBar
                    && detectors[i].Add(closed.Close) is { } p
                )
                {
                    var update = new RegimeUpdate
                    {
                        symbol = tick.Symbol,
                        event_time = Utc(closed.EndMs),
                        bull = p.Bull,
                        bear = p.Bear,
                        sideways = p.Sideways,
                        detector = "test",
                        detector_version = "1",
                    };
                    await Send(
                        market.RegimesTopic,
                        tick.Symbol,
                        await regimes.SerializeAsync(update, market.RegimesTopic)
                    );
                    market.Regimes[tick.Symbol].Add((closed.EndMs, p.Bull, p.Bear, p.Sideways));
                }
            }

            if (round == rounds / 2)
            {
                await market.ProducePoisonAsync(Send, ticks, regimes);
            }
        }

        producer.Flush(TimeSpan.FromSeconds(10));
        return market;
    }

    private async Task ProducePoisonAsync(
        Func<string, string, byte[], Task<DeliveryResult<byte[]?, byte[]>>> send,
        ContractSerde<MarketTick> ticks,
        ContractSerde<RegimeUpdate> regimes
    )
    {
        var first = Ticks["AAA"][0];
        async Task Send(string reason, string topic, byte[] value)
        {
            var delivered = await send(topic, "AAA", value);
            Poison.Add((reason, topic, delivered.Partition.Value, delivered.Offset.Value));
        }

        await Send("malformed", TicksTopic, "definitely not avro"u8.ToArray());
        var unknown = new byte[20];
        BinaryPrimitives.WriteInt32BigEndian(unknown.AsSpan(1), 999_999);
        await Send("unknown-schema", TicksTopic, unknown);
        var negative = new MarketTick
        {
            symbol = "AAA",
            event_time = Utc(Ticks["AAA"][^1].TimeMs),
            price = -5,
            size = 10,
        };
        await Send("invalid-tick", TicksTopic, await ticks.SerializeAsync(negative, TicksTopic));
        var late = new MarketTick
        {
            symbol = "AAA",
            event_time = Utc(first.TimeMs),
            price = first.Price,
            size = 1,
        };
        await Send("late-tick", TicksTopic, await ticks.SerializeAsync(late, TicksTopic));
        var badRegime = new RegimeUpdate
        {
            symbol = "AAA",
            event_time = Utc(Ticks["AAA"][^1].TimeMs),
            bull = -0.2,
            bear = 0.6,
            sideways = 0.6,
            detector = "test",
            detector_version = "1",
        };
        await Send("invalid-regime", RegimesTopic, await regimes.SerializeAsync(badRegime, RegimesTopic));
    }

    private static DateTime Utc(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime;
}
