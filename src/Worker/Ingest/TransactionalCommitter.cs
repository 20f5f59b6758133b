using Confluent.Kafka;
using Inference.Streaming.Worker.Kafka;

namespace Inference.Streaming.Worker.Ingest;

/// <summary>
/// Exactly-once (<c>Kafka:Delivery = ExactlyOnce</c>): decisions, forensics, dead letters, state
/// snapshots and the checkpoint marker produced since the last checkpoint are committed in one
/// transaction together with the input offsets (consume–transform–produce, KIP-447 fencing through
/// the consumer's group metadata). Readers of the outputs use <c>read_committed</c>. A transaction
/// that cannot commit is aborted and the worker stops; on restart it resumes from the last
/// committed checkpoint. The embedded broker accepts these calls but does not store transactional
/// offsets, so the guarantee is verified only against a real cluster.
/// </summary>
public sealed class TransactionalCommitter(KafkaOutput output) : IInputCommitter
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public void Start()
    {
        output.Producer.InitTransactions(Timeout);
        output.Producer.BeginTransaction();
    }

    public void Commit(IConsumer<byte[]?, byte[]> consumer, IReadOnlyList<TopicPartitionOffset> offsets)
    {
        var producer = output.Producer;
        try
        {
            producer.SendOffsetsToTransaction(offsets, consumer.ConsumerGroupMetadata, Timeout);
            producer.CommitTransaction(Timeout);
        }
        catch (KafkaTxnRequiresAbortException)
        {
            producer.AbortTransaction(Timeout);
            throw;
        }

        producer.BeginTransaction();
    }
}
