using Confluent.Kafka;

namespace Inference.Streaming.Worker.Ingest;

/// <summary>
/// Makes a checkpoint's input offsets durable once its state and outputs are acknowledged:
/// stored for auto-commit (at-least-once), or committed in the producer's transaction together
/// with everything produced since the last checkpoint (exactly-once).
/// </summary>
public interface IInputCommitter
{
    /// <summary>Called once the output producer exists, before the first record is read.</summary>
    void Start();

    void Commit(IConsumer<byte[]?, byte[]> consumer, IReadOnlyList<TopicPartitionOffset> offsets);
}
