using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Worker.Kafka;
using Inference.Streaming.Worker.State;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Fleet;

/// <summary>
/// The worker's <see cref="IObservationSink"/>: each closed bar's observation goes into this instance's
/// <see cref="SymbolDirectory"/> at once (the owner answers from its own state without waiting) and to
/// <c>symbol-observations</c>, keyed by symbol, on the input partition's number, through the ingest thread's
/// producer (inside its transaction under exactly-once), so every other instance's
/// <see cref="ObservationReplica"/> holds it too; each record names this run of the instance in a header, so this
/// instance's own replica skips what it already holds. An evicted symbol becomes a tombstone. A revoked partition's
/// symbols stay: the fleet still holds them, and their new owner's bars replace them.
/// </summary>
public sealed class ReplicatingObservationSink(
    SymbolDirectory directory,
    KafkaOutput output,
    ISchemaRegistryClient registry,
    IOptions<SchemaRegistryOptions> registryOptions,
    IOptions<KafkaOptions> kafka,
    InstanceName instance,
    ILogger<ReplicatingObservationSink> logger
) : IObservationSink
{
    private readonly ContractSerde<SymbolObservation> _serde = new(
        registry,
        SchemaRegistryClients.SerializerConfig(registryOptions.Value)
    );
    private readonly Action<DeliveryReport<byte[]?, byte[]>> _delivered = report =>
    {
        if (report.Error.IsError)
        {
            FleetLog.ObservationNotReplicated(logger, report.Topic, report.Error.Reason);
        }
    };

    /// <summary>The header naming the run that wrote a record (<see cref="InstanceName.Run"/>).</summary>
    public const string RunHeader = "inference-run";

    private string Topic => kafka.Value.Topics.SymbolObservations.Name;

    public void Publish(ObservationSnapshot snapshot)
    {
        var stamped = snapshot with { Instance = instance.Value };
        directory.Publish(stamped);
        Produce(
            snapshot.Symbol,
            snapshot.Partition,
            _serde.Serialize(ObservationCodec.ToRecord(stamped, instance.Value), Topic)
        );
    }

    public void Remove(string symbol)
    {
        var partition = directory.PartitionOf(symbol);
        directory.Remove(symbol);
        if (partition is { } owned)
        {
            Produce(symbol, owned, null);
        }
    }

    public void RemovePartitions(IEnumerable<int> partitions) { }

    private void Produce(string symbol, int partition, byte[]? value)
    {
        try
        {
            output.Producer.Produce(
                new TopicPartition(Topic, new Partition(partition)),
                new Message<byte[]?, byte[]>
                {
                    Key = System.Text.Encoding.UTF8.GetBytes(symbol),
                    Value = value!,
                    Headers = new Headers { { RunHeader, instance.Run } },
                },
                _delivered
            );
        }
        catch (ProduceException<byte[]?, byte[]> ex)
        {
            // The read model is best effort for the stream: a full queue never stops a decision.
            FleetLog.ObservationNotReplicated(logger, Topic, ex.Error.Reason);
        }
    }
}
