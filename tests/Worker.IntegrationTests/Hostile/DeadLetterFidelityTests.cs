using System.Text;
using Confluent.Kafka;
using Inference.Streaming.Worker.IntegrationTests.Kafka;
using Inference.Streaming.Worker.IntegrationTests.State;
using Xunit.Abstractions;

namespace Inference.Streaming.Worker.IntegrationTests.Hostile;

/// <summary>
/// Classes 1 and 8 of the hostile-input issue: records too large to dead-letter whole, spoofed
/// dead-letter headers, tombstones, empty values and megabyte symbols. Each is dead-lettered as it
/// should be, nothing crashes, and every honest bar is still decided.
/// </summary>
[Collection(KafkaClusterGroup.Name)]
public sealed class DeadLetterFidelityTests(KafkaFixture kafka, ITestOutputHelper output)
{
    [Fact]
    public async Task OversizedSpoofedAndEmptyRecordsAreDeadLetteredFaithfullyAndTheStreamGoesOn()
    {
        var run = new HostileRun(kafka, "dlq-fidelity");
        await run.CreateTopicsAsync();
        var random = new Random(7);
        var hugeTick = new byte[999_000];
        random.NextBytes(hugeTick);
        var hugeRegime = new byte[990_000];
        random.NextBytes(hugeRegime);
        // Over the producer's default message.max.bytes (1,000,000) once headers are added, under the broker's.
        var overLimit = new byte[1_040_000];
        random.NextBytes(overLimit);
        var hugeKey = new string('K', 995_000);
        var hugeSymbol = await run.TickAsync(new string('X', 900_000), StreamHarness.Start.AddSeconds(300));

        await using var worker = await run.RunAsync(
            async (round, producer) =>
            {
                if (round != 300)
                {
                    return;
                }

                // Each record of about 1 MB in a batch of its own, so no honest tick shares a batch over the broker's
                // limit.
                foreach (
                    var (topic, key, value) in new[]
                    {
                        (run.Ticks, "AAA", hugeTick),
                        (run.Regimes, "BBB", hugeRegime),
                        (run.Ticks, "CCC", hugeSymbol),
                        (run.Ticks, "BBB", overLimit),
                    }
                )
                {
                    producer.Flush(TimeSpan.FromSeconds(10));
                    producer.Produce(topic, new Message<string, byte[]> { Key = key, Value = value });
                }

                producer.Flush(TimeSpan.FromSeconds(10));
                producer.Produce(
                    run.Ticks,
                    new Message<string, byte[]>
                    {
                        Key = "DDD",
                        Value = "not avro"u8.ToArray(),
                        Headers = new Headers
                        {
                            { "dlq.reason", "spoofed"u8.ToArray() },
                            { "dlq.topic", "elsewhere"u8.ToArray() },
                            { "trace", "kept"u8.ToArray() },
                        },
                    }
                );
                producer.Produce(run.Ticks, new Message<string, byte[]> { Key = "AAA", Value = null! });
                producer.Produce(run.Ticks, new Message<string, byte[]> { Key = null!, Value = [] });
                producer.Produce(run.Ticks, new Message<string, byte[]> { Key = hugeKey, Value = "x"u8.ToArray() });
                producer.Flush(TimeSpan.FromSeconds(10));
                await Task.CompletedTask;
            }
        );

        var decisions = await run.DecisionsAsync(StreamHarness.ExpectedDecisions);
        var letters = await run.DeadLettersAsync(8);
        output.WriteLine($"{decisions.Count} decisions, {letters.Count} dead letters");

        Assert.False(worker.HasExited, "the worker stopped:\n" + worker.Output);
        Assert.Equal(StreamHarness.ExpectedDecisions, decisions.Select(d => d.decision_id).Distinct().Count());
        Assert.Equal(8, letters.Count);
        Assert.All(
            letters,
            l =>
            {
                Assert.Equal(1, HostileRun.HeaderCount(l, "dlq.reason"));
                Assert.NotNull(HostileRun.Header(l, "dlq.topic"));
                Assert.NotNull(HostileRun.Header(l, "dlq.partition"));
                Assert.NotNull(HostileRun.Header(l, "dlq.offset"));
            }
        );

        // Too large to copy whole: cut, with the original size and where to find the original.
        var tick = Assert.Single(letters, l => HostileRun.Header(l, "dlq.value.size") == "999000");
        Assert.Equal("value", HostileRun.Header(tick, "dlq.truncated"));
        Assert.Equal(run.Ticks, HostileRun.Header(tick, "dlq.topic"));
        Assert.Equal("malformed", HostileRun.Header(tick, "dlq.reason"));
        Assert.Contains(
            "too large to dead-letter whole",
            HostileRun.Header(tick, "dlq.detail"),
            StringComparison.Ordinal
        );
        Assert.Equal(hugeTick[..tick.Message.Value!.Length], tick.Message.Value);
        Assert.True(tick.Message.Value.Length < 100_000);
        var regime = Assert.Single(letters, l => HostileRun.Header(l, "dlq.value.size") == "990000");
        var over = Assert.Single(letters, l => HostileRun.Header(l, "dlq.value.size") == "1040000");
        Assert.Equal(overLimit[..over.Message.Value!.Length], over.Message.Value);
        Assert.Equal(run.Regimes, HostileRun.Header(regime, "dlq.topic"));

        // The megabyte symbol: refused by the symbol rule, and quoted short in the log and the header.
        var symbol = Assert.Single(letters, l => HostileRun.Header(l, "dlq.reason") == "invalid-tick");
        Assert.True(HostileRun.Header(symbol, "dlq.detail")!.Length <= 1100);

        // Spoofed headers are kept only under dlq.original.*; other headers pass unchanged.
        var spoofed = Assert.Single(letters, l => HostileRun.Header(l, "dlq.original.reason") is not null);
        Assert.Equal("spoofed", HostileRun.Header(spoofed, "dlq.original.reason"));
        Assert.Equal("elsewhere", HostileRun.Header(spoofed, "dlq.original.topic"));
        Assert.Equal("kept", HostileRun.Header(spoofed, "trace"));
        Assert.Equal("malformed", HostileRun.Header(spoofed, "dlq.reason"));

        // A tombstone stays a tombstone; an empty value stays empty.
        Assert.Single(letters, l => l.Message.Value is null);
        Assert.Single(letters, l => l.Message.Value is { Length: 0 });

        // A 995 KB key with a one-byte value is cut too, and says so.
        var keyed = Assert.Single(letters, l => HostileRun.Header(l, "dlq.key.size") == "995000");
        Assert.Equal(Encoding.UTF8.GetBytes(hugeKey)[..keyed.Message.Key!.Length], keyed.Message.Key);

        var longest = worker.Output.Split('\n').Max(line => line.Length);
        Assert.True(longest < 2000, $"a log line of {longest} characters");
    }
}
