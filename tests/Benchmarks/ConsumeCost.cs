using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Embedded;
using Inference.Streaming.Worker.Embedded.SchemaRegistry;
using Inference.Streaming.Worker.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Benchmarks;

/// <summary>
/// <c>--consume-cost</c>: the CPU that one tick's hand-over from librdkafka costs alone, the part of the ingest thread
/// that no cut in the product's own code removes. The worker's own consumer, from its client factory (a subscription
/// with range assignment, read committed, partition EOF events, offsets stored by hand, statistics every 5 s), reads
/// 200,000 encoded ticks from six partitions of the in-process mock cluster, and the reading thread does nothing else
/// with them. Reported: the reading thread's CPU per record (the ingest thread's share), and the consumer's own
/// librdkafka threads apart. Six rounds, each a new group reading from the start; the first is a warm-up; the median
/// round.
/// </summary>
internal static class ConsumeCost
{
    private const int Ticks = 200_000;
    private const string Topic = "market-ticks";

    public static async Task RunAsync()
    {
        using var cluster = MockCluster.Start(3);
        cluster.CreateTopic(Topic, 6, 1);
        await using var registry = await EmbeddedSchemaRegistry.StartAsync(0, CancellationToken.None);
        using var client = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = registry.Url });
        var serde = new ContractSerde<MarketTick>(client);
        var start = new DateTime(2026, 2, 2, 14, 30, 0, DateTimeKind.Utc);
        using (
            var producer = new ProducerBuilder<byte[]?, byte[]>(
                new ProducerConfig
                {
                    BootstrapServers = cluster.BootstrapServers,
                    LingerMs = 5,
                    QueueBufferingMaxMessages = 1_000_000,
                }
            ).Build()
        )
        {
            for (var i = 0; i < Ticks; i++)
            {
                var symbol = $"S{i % 200:D3}";
                var tick = new MarketTick
                {
                    symbol = symbol,
                    event_time = start.AddMilliseconds(i / 200 * 100),
                    price = 100 + (i % 977 * 0.01),
                    size = 1 + (i % 50),
                };
                producer.Produce(
                    Topic,
                    new Message<byte[]?, byte[]>
                    {
                        Key = Encoding.UTF8.GetBytes(symbol),
                        Value = serde.Serialize(tick, Topic),
                    }
                );
            }

            producer.Flush(TimeSpan.FromSeconds(120));
        }

        var reading = new List<double>();
        var threads = new List<double>();
        for (var round = 0; round < 6; round++)
        {
            var (caller, librdkafka) = Round(cluster.BootstrapServers, round);
            var note = round == 0 ? " (warm-up, not counted)" : string.Empty;
            Console.WriteLine(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"round {round}: reading thread {caller:F3} µs + consumer threads {librdkafka:F3} µs "
                        + $"CPU per record{note}"
                )
            );
            if (round > 0)
            {
                reading.Add(caller);
                threads.Add(librdkafka);
            }
        }

        reading.Sort();
        threads.Sort();
        Console.WriteLine(
            string.Create(
                CultureInfo.InvariantCulture,
                $"a tick's hand-over: median {reading[reading.Count / 2]:F3} µs CPU per record on the reading thread, "
                    + $"{threads[threads.Count / 2]:F3} µs on the consumer's librdkafka threads"
            )
        );
    }

    private static (double Caller, double LibRdKafka) Round(string bootstrap, int round)
    {
        var before = CpuAccounting.Threads();
        // The worker's own consumer, from its client factory: the settings are the ones it runs with, not a copy.
        var options = Options.Create(
            new KafkaOptions
            {
                BootstrapServers = bootstrap,
                StaticMembership = false,
                // As the pipeline benchmark and the embedded mode set it: the mock broker answers an empty fetch only
                // after fetch.wait.max.ms.
                Consumer = { ["fetch.wait.max.ms"] = "10" },
            }
        );
        using var group = new GroupInstance(options, NullLogger<GroupInstance>.Instance);
        var clients = new KafkaClientFactory(
            new ConfiguredKafkaEndpoints(options, Options.Create(new SchemaRegistryOptions())),
            options,
            group
        );
        using var consumer = clients.CreateConsumer("consume-cost", $"consume-cost-{round}-{Guid.NewGuid():N}");
        consumer.Subscribe(Topic);
        var own = new HashSet<int>();
        long callerBefore = 0;
        var threadsBefore = before;
        var count = 0;
        while (count < Ticks)
        {
            var record = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (record is null || record.IsPartitionEOF)
            {
                continue;
            }

            if (count++ == 0)
            {
                // The clock starts at the first record: the group's join and the first fetch stay out.
                own = CpuAccounting.Threads().Keys.Except(before.Keys).ToHashSet();
                threadsBefore = CpuAccounting.Threads();
                callerBefore = CpuAccounting.ThreadNanoseconds();
            }
        }

        var caller = (CpuAccounting.ThreadNanoseconds() - callerBefore) / 1e9;
        var threadsAfter = CpuAccounting.Threads();
        var librdkafka = own.Sum(t =>
            threadsAfter.GetValueOrDefault(t).Seconds - threadsBefore.GetValueOrDefault(t).Seconds
        );
        consumer.Close();
        return (caller / (Ticks - 1) * 1e6, librdkafka / (Ticks - 1) * 1e6);
    }
}
