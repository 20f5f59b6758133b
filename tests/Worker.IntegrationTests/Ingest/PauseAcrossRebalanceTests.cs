using Confluent.Kafka;
using Inference.Streaming.Worker.IntegrationTests.Kafka;

namespace Inference.Streaming.Worker.IntegrationTests.Ingest;

/// <summary>
/// What the ingest loop's revocation handler relies on, shown on the broker: a partition the application paused
/// (as regime alignment pauses one while it holds a tick) is still paused when an eager rebalance gives it back to
/// the same consumer, so nothing is fetched from it until it is resumed. The worker therefore resumes the
/// partitions that leave it (IngestService.Unhold); in CI a worker that skipped this decided nothing after a
/// rebalance handed it back partitions it had paused.
/// </summary>
[Collection(KafkaClusterGroup.Name)]
public sealed class PauseAcrossRebalanceTests(KafkaFixture kafka)
{
    [Fact]
    public async Task APausedPartitionStaysPausedWhenARebalanceGivesItBackAndAResumeOnRevocationFreesIt()
    {
        var control = await ReadAfterRebalanceAsync(resumeOnRevoke: false, pause: false);
        var paused = await ReadAfterRebalanceAsync(resumeOnRevoke: false, pause: true);
        var resumed = await ReadAfterRebalanceAsync(resumeOnRevoke: true, pause: true);
        Assert.Equal(("after", null, "after"), (control, paused, resumed));
    }

    /// <summary>On a topic of its own: subscribes, pauses the partition once assigned (unless told not to),
    /// rejoins (revoked, then assigned again), produces a record and returns its value if the consumer reads it
    /// within 10 s.</summary>
    private async Task<string?> ReadAfterRebalanceAsync(bool resumeOnRevoke, bool pause)
    {
        var topic = await kafka.CreateTopicAsync("pause-rebalance");
        var config = new ConsumerConfig
        {
            BootstrapServers = kafka.BootstrapServers,
            GroupId = "pause-" + Guid.NewGuid().ToString("N"),
            AutoOffsetReset = AutoOffsetReset.Earliest,
            SessionTimeoutMs = 6000,
            EnableAutoCommit = false,
        };
        var assigned = 0;
        using var consumer = new ConsumerBuilder<Ignore, string>(config)
            .SetPartitionsAssignedHandler((_, _) => Interlocked.Increment(ref assigned))
            .SetPartitionsRevokedHandler(
                (c, partitions) =>
                {
                    if (resumeOnRevoke)
                    {
                        c.Resume(partitions.Select(p => p.TopicPartition));
                    }
                }
            )
            .Build();
        consumer.Subscribe(topic);
        AwaitAssignment(consumer, () => assigned >= 1);
        if (pause)
        {
            consumer.Pause(consumer.Assignment);
        }

        // Leave and join again: the eager protocol revokes the partition and assigns it back.
        consumer.Unsubscribe();
        consumer.Subscribe(topic);
        AwaitAssignment(consumer, () => assigned >= 2);

        using (
            var producer = new ProducerBuilder<Null, string>(
                new ProducerConfig { BootstrapServers = kafka.BootstrapServers }
            ).Build()
        )
        {
            await producer.ProduceAsync(topic, new Message<Null, string> { Value = "after" });
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false } record)
            {
                consumer.Close();
                return record.Message.Value;
            }
        }

        consumer.Close();
        return null;
    }

    private static void AwaitAssignment(IConsumer<Ignore, string> consumer, Func<bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!done() || consumer.Assignment.Count == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "no assignment within 30 s");
            consumer.Consume(TimeSpan.FromMilliseconds(100));
        }
    }
}
