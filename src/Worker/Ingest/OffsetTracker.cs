using Confluent.Kafka;

namespace Inference.Streaming.Worker.Ingest;

/// <summary>
/// Per input partition, the consumed records in offset order, until everything produced for them
/// is acknowledged: a checkpoint waits for none to be left (at-least-once, docs/design.md, Delivery).
/// </summary>
public sealed class OffsetTracker
{
    private readonly Dictionary<TopicPartition, Queue<TrackedRecord>> _partitions = [];
    private readonly Lock _gate = new();

    public TrackedRecord Begin(TopicPartition partition, long offset)
    {
        var record = new TrackedRecord(offset);
        lock (_gate)
        {
            if (!_partitions.TryGetValue(partition, out var queue))
            {
                queue = new Queue<TrackedRecord>();
                _partitions[partition] = queue;
            }

            queue.Enqueue(record);
        }

        return record;
    }

    /// <summary>Drops the finished prefix of every partition's records.</summary>
    public void RemoveDone()
    {
        lock (_gate)
        {
            foreach (var queue in _partitions.Values)
            {
                while (queue.TryPeek(out var head) && head.IsDone)
                {
                    queue.Dequeue();
                }
            }
        }
    }

    /// <summary>Records still owed outputs on <paramref name="partitions"/> (all when null).</summary>
    public int InFlight(IEnumerable<TopicPartition>? partitions = null)
    {
        lock (_gate)
        {
            return partitions is null
                ? _partitions.Values.Sum(q => q.Count)
                : partitions.Sum(p => _partitions.TryGetValue(p, out var q) ? q.Count : 0);
        }
    }

    public void Forget(IEnumerable<TopicPartition> partitions)
    {
        lock (_gate)
        {
            foreach (var partition in partitions)
            {
                _partitions.Remove(partition);
            }
        }
    }
}
