using System.Text;
using Confluent.Kafka;
using Inference.Streaming.Engine.Diagnostics;
using Inference.Streaming.Worker.Kafka;
using Inference.Streaming.Worker.Publishing;

namespace Inference.Streaming.Worker.Ingest;

/// <summary>The rule that a record sits on the partition <c>Kafka:Partitioner</c> gives its key: a symbol's state,
/// regime and book live on that one partition.</summary>
public sealed class KeyPlacement(KafkaOptions kafka)
{
    /// <summary>Why <paramref name="record"/> is on the wrong partition; null when it is right (or has no key, which
    /// the decoder refuses anyway).</summary>
    public Rejection? Check(ConsumeResult<byte[]?, byte[]> record)
    {
        if (record.Message.Key is not { Length: > 0 } key)
        {
            return null;
        }

        var partitions = PartitionCount(record.Topic);
        var expected = KeyPartitioner.PartitionOf(kafka.Partitioner, key, partitions);
        return expected == record.Partition.Value
            ? null
            : new Rejection(
                DeadLetterReasons.WrongPartition,
                $"key {LogText.Quote(Encoding.UTF8.GetString(key))} belongs on partition {expected} "
                    + $"of {record.Topic}'s {partitions} by Kafka:Partitioner "
                    + $"({kafka.Partitioner}), not {record.Partition.Value}: its producer hashes keys another way "
                    + "(librdkafka's default is consistent_random; set partitioner=murmur2_random)"
            );
    }

    private int PartitionCount(string topic) =>
        topic == kafka.Topics.MarketTicks.Name
            ? kafka.Topics.MarketTicks.Partitions
            : kafka.Topics.RegimeUpdates.Partitions;
}
