using System.Globalization;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Tests;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Embedded;
using Inference.Streaming.Worker.Embedded.SchemaRegistry;
using Inference.Streaming.Worker.Kafka;

namespace Inference.Streaming.Benchmarks;

/// <summary>
/// <c>--produce-cost</c>: the CPU that one decision's two produces cost alone (its decision and its forensics record,
/// at their encoded sizes), with the worker's producer settings (idempotent, acks all, linger 1 ms) against the
/// in-process mock cluster: the calling thread's CPU plus the producer's own librdkafka threads, the broker's
/// thread left out. Five rounds of 20,000 decisions; the median round.
/// </summary>
internal static class ProduceCost
{
    private const int Decisions = 20_000;

    public static async Task RunAsync()
    {
        using var cluster = MockCluster.Start(3);
        cluster.CreateTopic("trading-decisions", 6, 1);
        cluster.CreateTopic("decision-forensics", 6, 1);
        await using var registry = await EmbeddedSchemaRegistry.StartAsync(0, CancellationToken.None);
        using var client = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = registry.Url });
        var sample = SampleRecords.Forensics();
        var decision = new ContractSerde<TradingDecision>(client).Serialize(sample.decision, "trading-decisions");
        var forensics = new ContractSerde<DecisionForensics>(client).Serialize(sample, "decision-forensics");
        var before = CpuAccounting.Threads();
        using var producer = new ProducerBuilder<byte[]?, byte[]>(
            new ProducerConfig
            {
                BootstrapServers = cluster.BootstrapServers,
                EnableIdempotence = true,
                Acks = Acks.All,
                LingerMs = 1,
            }
        ).Build();
        Thread.Sleep(200);
        var own = CpuAccounting.Threads().Keys.Except(before.Keys).ToHashSet();
        Console.WriteLine(
            $"decision {decision.Length} bytes, forensics {forensics.Length} bytes; the producer's threads: "
                + string.Join(", ", CpuAccounting.Threads().Where(t => own.Contains(t.Key)).Select(t => t.Value.Name))
        );
        var rounds = new List<double>();
        for (var round = 0; round < 6; round++)
        {
            var threadsBefore = CpuAccounting.Threads();
            var callerBefore = CpuAccounting.ThreadNanoseconds();
            for (var i = 0; i < Decisions; i++)
            {
                var key = System.Text.Encoding.UTF8.GetBytes($"S{i % 200:D3}");
                producer.Produce(
                    "trading-decisions",
                    new Message<byte[]?, byte[]> { Key = key, Value = decision },
                    Ignore
                );
                producer.Produce(
                    "decision-forensics",
                    new Message<byte[]?, byte[]> { Key = key, Value = forensics },
                    Ignore
                );
            }

            producer.Flush(TimeSpan.FromSeconds(60));
            var caller = (CpuAccounting.ThreadNanoseconds() - callerBefore) / 1e9;
            var threadsAfter = CpuAccounting.Threads();
            var librdkafka = own.Sum(t =>
                threadsAfter.GetValueOrDefault(t).Seconds - threadsBefore.GetValueOrDefault(t).Seconds
            );
            var perDecision = (caller + librdkafka) / Decisions * 1e6;
            Console.WriteLine(
                $"round {round}: caller {caller * 1e6 / Decisions:F2} µs + producer threads "
                    + $"{librdkafka * 1e6 / Decisions:F2} µs = {perDecision:F2} µs CPU per decision (two produces)"
                    + (round == 0 ? " (warm-up, not counted)" : string.Empty)
            );
            if (round > 0)
            {
                rounds.Add(perDecision);
            }
        }

        rounds.Sort();
        Console.WriteLine(
            string.Create(
                CultureInfo.InvariantCulture,
                $"two produces: median {rounds[rounds.Count / 2]:F2} µs CPU per decision"
            )
        );
    }

    private static void Ignore(DeliveryReport<byte[]?, byte[]> report)
    {
        if (report.Error.IsError)
        {
            throw new InvalidOperationException(report.Error.Reason);
        }
    }
}
