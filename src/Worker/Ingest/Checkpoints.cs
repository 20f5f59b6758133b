using Confluent.Kafka;
using Inference.Streaming.Worker.Kafka;
using Inference.Streaming.Worker.Regimes;
using Inference.Streaming.Worker.State;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Ingest;

/// <summary>
/// A checkpoint, on the ingest thread: every output of the records read so far is acknowledged, every finished
/// decision is applied to its portfolio, idle symbols leave, the changed symbols' state and a checkpoint marker go
/// to the changelog, and the input offsets are committed. A restart, rebalance or crash resumes from exactly there.
/// </summary>
public sealed class Checkpoints(
    OwnedPartitions owned,
    StateStore state,
    OffsetTracker tracker,
    IInputCommitter committer,
    StreamRegimes regimes,
    Decisions.IDecisionIntake decisions,
    IOptions<KafkaOptions> kafka,
    TimeProvider time,
    ILogger<Checkpoints> logger
)
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan CheckpointTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Waits for the outputs of every record read, then writes each partition's checkpoint and stores its
    /// offsets.</summary>
    public void Write(IConsumer<byte[]?, byte[]> consumer, List<int> partitions)
    {
        if (!WaitForInFlight() || !SettleDecisions())
        {
            return;
        }

        // Idle symbols leave memory here; their tombstones go out with this checkpoint.
        owned.EvictIdle();
        var offsets = new List<TopicPartitionOffset>();
        foreach (var number in partitions)
        {
            if (!owned.Partitions.TryGetValue(number, out var partition))
            {
                continue;
            }

            if (!state.Checkpoint(partition, CheckpointTimeout))
            {
                IngestLog.CheckpointFailed(logger, number);
                continue;
            }

            Add(offsets, kafka.Value.Topics.MarketTicks.Name, number, partition.TicksOffset);
            if (!regimes.FromDetector)
            {
                Add(offsets, kafka.Value.Topics.RegimeUpdates.Name, number, partition.RegimesOffset);
            }
        }

        committer.Commit(consumer, offsets);
    }

    private static void Add(List<TopicPartitionOffset> offsets, string topic, int partition, long lastOffset)
    {
        if (lastOffset >= 0)
        {
            offsets.Add(new TopicPartitionOffset(topic, new Partition(partition), new Offset(lastOffset + 1)));
        }
    }

    /// <summary>
    /// Applies every finished decision to its portfolio (the ingest thread is the portfolio's only
    /// writer), so the checkpoint holds the state after them; every decision has finished once
    /// <see cref="WaitForInFlight"/> has seen its acknowledgements.
    /// </summary>
    private bool SettleDecisions()
    {
        foreach (var partition in owned.Partitions.Values)
        {
            foreach (var symbol in partition.Symbols.Values)
            {
                if (!symbol.Settle(DrainTimeout))
                {
                    IngestLog.CheckpointFailed(logger, partition.Partition);
                    return false;
                }
            }
        }

        return true;
    }

    private bool WaitForInFlight()
    {
        var deadline = time.GetTimestamp() + (long)(DrainTimeout.TotalSeconds * time.TimestampFrequency);
        tracker.RemoveDone();
        while (tracker.InFlight() > 0 && time.GetTimestamp() < deadline)
        {
            if (decisions.WaitingForBook)
            {
                // Those bars wait for other partitions, which this thread may be the one to read: checkpoint later.
                return false;
            }

            Thread.Sleep(2);
            tracker.RemoveDone();
        }

        return tracker.InFlight() == 0;
    }
}
