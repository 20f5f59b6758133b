using Confluent.Kafka;

namespace Inference.Streaming.Worker.Ingest;

/// <summary>
/// The ingest loop's pulse, for <see cref="IngestWatchdog"/>: the loop beats once per turn (every
/// record, and every 100 ms poll when there is none), and lends its consumer so the watchdog can
/// read the loop's positions (local state, thread-safe in librdkafka) without depending on the loop
/// to report them. A loop stuck in one record stops beating and its positions stop moving.
/// </summary>
public sealed class IngestHeartbeat(TimeProvider time)
{
    private readonly Lock _gate = new();
    private IConsumer<byte[]?, byte[]>? _consumer;
    private long _beat;

    /// <summary>The loop runs with <paramref name="consumer"/>: the watchdog judges it from now on.</summary>
    public void Attach(IConsumer<byte[]?, byte[]> consumer)
    {
        Beat(time.GetTimestamp());
        lock (_gate)
        {
            _consumer = consumer;
        }
    }

    /// <summary>The loop is stopping; called before its consumer is closed, never while the watchdog reads
    /// it.</summary>
    public void Detach()
    {
        lock (_gate)
        {
            _consumer = null;
        }
    }

    /// <summary>The loop turned at <paramref name="timestamp"/> (<see cref="TimeProvider.GetTimestamp"/>), a time it
    /// had read for its own use.</summary>
    public void Beat(long timestamp) => Volatile.Write(ref _beat, timestamp);

    /// <summary>Time since the loop's last turn; null while no loop runs.</summary>
    public TimeSpan? Age
    {
        get
        {
            lock (_gate)
            {
                return _consumer is null ? null : time.GetElapsedTime(Volatile.Read(ref _beat));
            }
        }
    }

    /// <summary>The next offset the loop will read from each assigned partition; null while no loop runs.</summary>
    public List<TopicPartitionOffset>? Positions()
    {
        lock (_gate)
        {
            if (_consumer is null)
            {
                return null;
            }

            var positions = new List<TopicPartitionOffset>();
            foreach (var partition in _consumer.Assignment)
            {
                positions.Add(new TopicPartitionOffset(partition, _consumer.Position(partition)));
            }

            return positions;
        }
    }
}
