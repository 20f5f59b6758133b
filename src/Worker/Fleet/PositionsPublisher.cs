using System.Text;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Worker.Kafka;
using Inference.Streaming.Worker.Publishing;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Fleet;

/// <summary>Where this instance's share of the book goes: its own <see cref="PositionsBook"/> and the positions
/// topic (<see cref="PositionsPublisher"/>).</summary>
public interface IPositionsSink
{
    /// <summary>The position a decision of input partition <paramref name="partition"/> left, owed to
    /// <paramref name="source"/>.</summary>
    void Position(int partition, BookPosition position, IOutputTracker source);

    /// <summary>Every bar of input partition <paramref name="partition"/> ending at or before
    /// <paramref name="throughMs"/> has been decided.</summary>
    void Progress(int partition, long throughMs, IOutputTracker source);

    /// <summary>The owner evicted <paramref name="symbol"/> (idle).</summary>
    void Evicted(int partition, string symbol);
}

/// <summary>
/// Writes this instance's share of the <see cref="PositionsBook"/> to the positions topic, on the input partition's
/// number and in decision order: a mapped symbol's position after each decision, a partition's progress, and a
/// tombstone when the owner evicts a symbol. Positions and progress are outputs of the input record that led to them
/// (announced to it, so its offset is committed only once they are acknowledged, and inside its transaction under
/// exactly-once). Each is also applied to this instance's book at once.
/// </summary>
public sealed class PositionsPublisher(
    PositionsBook book,
    KafkaOutput output,
    ISchemaRegistryClient registry,
    IOptions<SchemaRegistryOptions> registryOptions,
    IOptions<KafkaOptions> kafka,
    KafkaConnectivity connectivity,
    ILogger<PositionsPublisher> logger
) : IPositionsSink
{
    /// <summary>The key of input partition <paramref name="partition"/>'s progress record; never a symbol (symbols
    /// have no '#').</summary>
    public static string ProgressKey(int partition) => $"#partition/{partition}";

    private readonly ContractSerde<PositionUpdate> _serde = new(
        registry,
        SchemaRegistryClients.SerializerConfig(registryOptions.Value)
    );

    private string Topic => kafka.Value.Topics.Positions.Name;

    /// <summary>The position a decision of input partition <paramref name="partition"/> left.</summary>
    public void Position(int partition, BookPosition position, IOutputTracker source)
    {
        book.Record(PositionEntry.From(position));
        Produce(
            partition,
            position.symbol,
            new PositionUpdate { input_partition = partition, position = position },
            source
        );
    }

    /// <summary>Every bar of input partition <paramref name="partition"/> ending at or before
    /// <paramref name="throughMs"/> has been decided.</summary>
    public void Progress(int partition, long throughMs, IOutputTracker source)
    {
        book.Advance(partition, throughMs);
        Produce(
            partition,
            ProgressKey(partition),
            new PositionUpdate { input_partition = partition, decided_through_ms = throughMs },
            source
        );
    }

    /// <summary>The owner evicted <paramref name="symbol"/> (idle): a tombstone for its key.</summary>
    public void Evicted(int partition, string symbol)
    {
        book.Forget(symbol);
        try
        {
            output.Producer.Produce(
                new TopicPartition(Topic, new Partition(partition)),
                new Message<byte[]?, byte[]> { Key = Encoding.UTF8.GetBytes(symbol), Value = null! },
                report =>
                {
                    if (report.Error.IsError)
                    {
                        KafkaLog.DeliveryFailed(logger, report.Topic, report.Error.Reason);
                    }
                }
            );
        }
        catch (ProduceException<byte[]?, byte[]> ex)
        {
            // Compaction only: the position has already aged out of every book.
            KafkaLog.DeliveryFailed(logger, Topic, ex.Error.Reason);
        }
    }

    private void Produce(int partition, string key, PositionUpdate update, IOutputTracker source) =>
        OutputAcknowledgement.Produce(
            output.Producer,
            new TopicPartition(Topic, new Partition(partition)),
            new Message<byte[]?, byte[]> { Key = Encoding.UTF8.GetBytes(key), Value = _serde.Serialize(update, Topic) },
            source,
            report => OutputAcknowledgement.Record(report, source, connectivity, logger)
        );
}
