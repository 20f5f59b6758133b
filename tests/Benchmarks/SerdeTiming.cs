using System.Diagnostics;
using Confluent.SchemaRegistry;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Tests;
using Inference.Streaming.Worker.Embedded.SchemaRegistry;
using Inference.Streaming.Worker.Kafka;

namespace Inference.Streaming.Benchmarks;

/// <summary>Time per Avro serialisation of the published records through Confluent's serializer (median of 5
/// runs).</summary>
internal static class SerdeTiming
{
    public static async Task RunAsync()
    {
        await using var registry = await EmbeddedSchemaRegistry.StartAsync(0, CancellationToken.None);
        using var client = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = registry.Url });
        var decisions = new ContractSerde<TradingDecision>(client);
        var forensics = new ContractSerde<DecisionForensics>(client);
        var tick = new ContractSerde<MarketTick>(client);
        var sample = SampleRecords.Forensics();
        var tickSample = new MarketTick
        {
            symbol = "AAPL",
            event_time = DateTime.UtcNow,
            price = 1,
            size = 1,
        };
        var tickBytes = await tick.SerializeAsync(tickSample, "t");
        await Measure("TradingDecision serialize", () => decisions.SerializeAsync(sample.decision, "d"));
        await Measure("DecisionForensics serialize", () => forensics.SerializeAsync(sample, "f"));
        await Measure("MarketTick serialize", () => tick.SerializeAsync(tickSample, "t"));
        await Measure("MarketTick deserialize", () => tick.DeserializeAsync(tickBytes, "t"));
        var pending = 0;
        var blocking = Stopwatch.StartNew();
        for (var i = 0; i < 20_000; i++)
        {
            var task = tick.DeserializeAsync(tickBytes, "t");
            pending += task.IsCompleted ? 0 : 1;
            task.GetAwaiter().GetResult();
        }

        Console.WriteLine(
            "MarketTick deserialize, blocking on Confluent's async deserializer: "
                + $"{blocking.Elapsed.TotalMicroseconds / 20_000:F2} µs per record; {pending} of 20000 did not "
                + "complete synchronously"
        );
        await Measure(
            "MarketTick deserialize on the calling thread (ContractSerde.Deserialize)",
            () => Task.FromResult(tick.Deserialize(tickBytes, "t"))
        );
    }

    private static async Task Measure<T>(string what, Func<Task<T>> action)
    {
        const int n = 20_000;
        var runs = new List<double>();
        for (var r = 0; r < 5; r++)
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < n; i++)
            {
                await action();
            }

            runs.Add(clock.Elapsed.TotalMicroseconds / n);
        }

        runs.Sort();
        Console.WriteLine($"{what}: median {runs[2]:F2} µs per record");
    }
}
