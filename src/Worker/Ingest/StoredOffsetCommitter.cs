using Confluent.Kafka;

namespace Inference.Streaming.Worker.Ingest;

/// <summary>At-least-once: offsets are stored and committed by the consumer's auto-commit.</summary>
public sealed class StoredOffsetCommitter(ILogger<StoredOffsetCommitter> logger) : IInputCommitter
{
    public void Start() { }

    public void Commit(IConsumer<byte[]?, byte[]> consumer, IReadOnlyList<TopicPartitionOffset> offsets)
    {
        foreach (var offset in offsets)
        {
            try
            {
                consumer.StoreOffset(offset);
            }
            catch (KafkaException ex)
            {
                // No longer assigned; the state checkpoint is what the next owner resumes from.
                IngestLog.ConsumerError(logger, ex.Error.Reason);
            }
        }
    }
}
