using System.Globalization;
using Confluent.Kafka;
using Inference.Streaming.Worker.IntegrationTests.Hostile;
using Inference.Streaming.Worker.IntegrationTests.Kafka;
using Inference.Streaming.Worker.IntegrationTests.State;
using Inference.Streaming.Worker.Kafka;
using Xunit.Abstractions;

namespace Inference.Streaming.Worker.IntegrationTests.Interop;

/// <summary>
/// The co-partitioning contract (<c>Kafka:Partitioner</c>): the worker's idea of a key's partition
/// is librdkafka's own, and a producer on another partitioner is caught record by record.
/// </summary>
[Collection(KafkaClusterGroup.Name)]
public sealed class PartitionerContractTests(KafkaFixture kafka, ITestOutputHelper output)
{
    private const string Python = "/usr/bin/python3";

    [Theory]
    [InlineData(KeyPartitioner.Murmur2Random, 7)]
    [InlineData(KeyPartitioner.ConsistentRandom, 7)]
    [InlineData(KeyPartitioner.Murmur2Random, 6)]
    public async Task KeyPartitionerGivesEveryKeyThePartitionLibrdkafkaGivesIt(string partitioner, int partitions)
    {
        var topic = await kafka.CreateTopicAsync("partitioner", partitions);
        var config = new ProducerConfig { BootstrapServers = kafka.BootstrapServers };
        config.Set("partitioner", partitioner);
        using var producer = new ProducerBuilder<string, byte[]>(config).Build();
        string[] keys =
        [
            "A",
            "AAPL",
            "BRK.B",
            "BTC-USD",
            "ES_F",
            "EUR/USD",
            "X:Y",
            "0123456789ABCDEFGHIJ",
            .. Enumerable.Range(0, 200).Select(i => "S" + i.ToString(CultureInfo.InvariantCulture)),
        ];

        foreach (var key in keys)
        {
            var delivered = await producer.ProduceAsync(topic, new Message<string, byte[]> { Key = key, Value = [1] });
            Assert.Equal(
                delivered.Partition.Value,
                KeyPartitioner.PartitionOf(partitioner, System.Text.Encoding.UTF8.GetBytes(key), partitions)
            );
        }
    }

    [Fact]
    public void Murmur2IsKafkasJavaHash()
    {
        // Kafka's own UtilsTest.testMurmur2 values.
        Assert.Equal(-973932308, KeyPartitioner.Hash("21"u8));
        Assert.Equal(-790332482, KeyPartitioner.Hash("foobar"u8));
        Assert.Equal(-985981536, KeyPartitioner.Hash("a-little-bit-long-string"u8));
        Assert.Equal(-1486304829, KeyPartitioner.Hash("a-little-bit-longer-string"u8));
        Assert.Equal(275646681, KeyPartitioner.Hash(""u8));
    }

    /// <summary>
    /// A Python confluent_kafka producer on its default partitioner (consistent_random, CRC32) sends
    /// ticks for symbols whose murmur2 partition is another: each is dead-lettered as
    /// <c>wrong-partition</c> naming the partition it belongs on, and the honest market is decided
    /// exactly as it would have been. Before, the worker decided such a symbol on the wrong
    /// partition with the prior for a regime.
    /// </summary>
    [SkippableFact]
    public async Task TicksFromAProducerOnAnotherPartitionerAreDeadLetteredAsWrongPartition()
    {
        Skip.IfNot(
            ExternalTool.Exists(Python)
                && (
                    await ExternalTool.RunAsync(Python, ["-c", "import confluent_kafka"], TimeSpan.FromSeconds(30))
                ).ExitCode == 0,
            "python3-confluent-kafka is not installed (.ci/run installs it)"
        );
        var run = new HostileRun(kafka, "wrong-partition");
        await run.CreateTopicsAsync();
        // Symbols that consistent_random and murmur2_random put on different partitions of 3.
        var misplaced = Enumerable
            .Range(0, 100)
            .Select(i => "PY" + i.ToString(CultureInfo.InvariantCulture))
            .Where(s =>
                KeyPartitioner.PartitionOf(KeyPartitioner.ConsistentRandom, System.Text.Encoding.UTF8.GetBytes(s), 3)
                != KeyPartitioner.PartitionOf(KeyPartitioner.Murmur2Random, System.Text.Encoding.UTF8.GetBytes(s), 3)
            )
            .Take(12)
            .ToList();
        var delivered = new List<string>();

        await using var worker = await run.RunAsync(
            async (round, _) =>
            {
                if (round != 300)
                {
                    return;
                }

                var file = Path.GetTempFileName();
                var lines = new List<string>();
                foreach (var symbol in misplaced)
                {
                    var tick = await run.TickAsync(symbol, StreamHarness.Start.AddSeconds(round));
                    lines.Add($"{symbol} {Convert.ToHexString(tick)}");
                }

                await File.WriteAllLinesAsync(file, lines);
                var script = Path.Combine(AppContext.BaseDirectory, "Interop", "produce_default_partitioner.py");
                var python = await ExternalTool.RunAsync(
                    Python,
                    [script, kafka.BootstrapServers, run.Ticks, file],
                    TimeSpan.FromSeconds(90)
                );
                File.Delete(file);
                Assert.True(python.ExitCode == 0, python.Stderr);
                delivered.AddRange(python.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            }
        );

        var decisions = await run.DecisionsAsync(StreamHarness.ExpectedDecisions);
        var letters = await run.DeadLettersAsync(misplaced.Count);
        output.WriteLine(string.Join('\n', letters.Select(l => HostileRun.Header(l, "dlq.detail"))));

        // Python's client really used CRC32, as KeyPartitioner says it does.
        Assert.Equal(misplaced.Select(s => $"{s} {Crc32PartitionOf(s)}").Order(), delivered.Order());
        Assert.Equal(StreamHarness.ExpectedDecisions, decisions.Select(d => d.decision_id).Distinct().Count());
        Assert.DoesNotContain(decisions, d => d.symbol.StartsWith("PY", StringComparison.Ordinal));
        Assert.Equal(misplaced.Count, letters.Count);
        Assert.All(
            letters,
            l =>
            {
                Assert.Equal("wrong-partition", HostileRun.Header(l, "dlq.reason"));
                var symbol = System.Text.Encoding.UTF8.GetString(l.Message.Key!);
                var expected = KeyPartitioner.PartitionOf(KeyPartitioner.Murmur2Random, l.Message.Key!, 3);
                Assert.Contains(
                    $"belongs on partition {expected} ",
                    HostileRun.Header(l, "dlq.detail"),
                    StringComparison.Ordinal
                );
                Assert.Contains(symbol, misplaced);
            }
        );
        Assert.Contains("reason=\"wrong-partition\"", await HostileRun.MetricsAsync(worker), StringComparison.Ordinal);
    }

    private static int Crc32PartitionOf(string symbol) =>
        KeyPartitioner.PartitionOf(KeyPartitioner.ConsistentRandom, System.Text.Encoding.UTF8.GetBytes(symbol), 3);
}
