using Confluent.Kafka;

namespace Inference.Streaming.Worker.Pipeline;

/// <summary>
/// Per input partition, the consumed records in offset order; the offset to store is one past the
/// last record of the longest prefix that is done (at-least-once, DESIGN.md section 7).
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

    /// <summary>Pops finished prefixes and returns the offsets to store.</summary>
    public List<TopicPartitionOffset> TakeCommittable()
    {
        var result = new List<TopicPartitionOffset>();
        lock (_gate)
        {
            foreach (var (partition, queue) in _partitions)
            {
                long? next = null;
                while (queue.TryPeek(out var head) && head.IsDone)
                {
                    next = queue.Dequeue().Offset + 1;
                }

                if (next is { } offset)
                {
                    result.Add(new TopicPartitionOffset(partition, offset));
                }
            }
        }

        return result;
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
