using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Kafka;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.State;

/// <summary>
/// The <c>inference-state</c> changelog. A checkpoint writes the snapshot of every symbol changed
/// since the last one, and of every symbol not written for <see cref="StateOptions.RefreshInterval"/>,
/// into the partition's state partition, then a marker with the input offsets it covers; restore
/// replays a state partition and keeps what the last complete marker covers. Because every live
/// symbol is rewritten at least that often, restore never needs records older than that: a broker
/// may remove them (retention; the embedded broker's limits), and restore checks that what it
/// kept reaches back far enough.
/// </summary>
public sealed class StateStore(
    KafkaOutput output,
    IKafkaClientFactory clients,
    ISchemaRegistryClient registry,
    IOptions<KafkaOptions> kafka,
    IOptions<FeatureOptions> features,
    IOptions<StateOptions> stateOptions,
    PipelineMetrics metrics,
    TimeProvider time,
    ILogger<StateStore> logger,
    IOptions<SchemaRegistryOptions> registryOptions
)
{
    private readonly ContractSerde<SymbolStateSnapshot> _serde = new(
        registry,
        SchemaRegistryClients.SerializerConfig(registryOptions.Value)
    );

    private string Topic => kafka.Value.Topics.InferenceState.Name;

    /// <summary>Writes a checkpoint for <paramref name="partition"/> and waits for it; false if it could not be
    /// acknowledged.</summary>
    public bool Checkpoint(PartitionState partition, TimeSpan timeout)
    {
        var asOf = time.GetUtcNow().ToUnixTimeMilliseconds();
        var target = new TopicPartition(Topic, new Partition(partition.Partition));
        var refreshBefore = asOf - (long)stateOptions.Value.RefreshInterval.TotalMilliseconds;
        var dirty = partition.Symbols.Values.Where(s => s.Dirty || s.SnapshotAtMs <= refreshBefore).ToList();
        var evicted = partition.Evicted.ToList();
        var failed = 0;
        var pending = dirty.Count + evicted.Count + 1;
        void Delivered(DeliveryReport<byte[]?, byte[]> report)
        {
            if (report.Error.IsError)
            {
                Interlocked.Increment(ref failed);
                KafkaLog.DeliveryFailed(logger, report.Topic, report.Error.Reason);
            }

            Interlocked.Decrement(ref pending);
        }

        // Evicted symbols get a tombstone: compaction drops them, and a restore does not bring them back.
        foreach (var symbol in evicted)
        {
            output.Producer.Produce(
                target,
                new Message<byte[]?, byte[]> { Key = System.Text.Encoding.UTF8.GetBytes(symbol), Value = null! },
                Delivered
            );
        }

        foreach (var symbol in dirty)
        {
            Produce(target, symbol.Symbol, StateCodec.ToSnapshot(symbol, asOf), Delivered);
        }

        partition.CheckpointSequence++;
        Produce(target, StateCodec.CheckpointKey, StateCodec.Checkpoint(partition, asOf), Delivered);
        var deadline = time.GetTimestamp() + (long)(timeout.TotalSeconds * time.TimestampFrequency);
        while (Volatile.Read(ref pending) > 0 && time.GetTimestamp() < deadline)
        {
            output.Producer.Flush(TimeSpan.FromMilliseconds(50));
        }

        if (Volatile.Read(ref pending) > 0 || Volatile.Read(ref failed) > 0)
        {
            return false;
        }

        foreach (var symbol in dirty)
        {
            symbol.Dirty = false;
            symbol.SnapshotAtMs = asOf;
        }

        partition.ClearEvicted(evicted);
        return true;
    }

    /// <summary>Reads one state partition to its end and rebuilds what its last complete checkpoint covers.</summary>
    public (PartitionState State, StateCheckpoint? Checkpoint) Restore(int partitionNumber)
    {
        var started = time.GetTimestamp();
        var barMs = (long)features.Value.BarInterval.TotalMilliseconds;
        var partition = new PartitionState(partitionNumber, barMs, features.Value.InitialCapital);
        var target = new TopicPartition(Topic, new Partition(partitionNumber));
        using var reader = clients.CreateReader("inference-state-restore");
        var watermarks = reader.QueryWatermarkOffsets(target, TimeSpan.FromSeconds(10));
        var (start, end) = (watermarks.Low.Value, watermarks.High.Value);
        if (end <= 0 || start >= end)
        {
            return (partition, null);
        }

        var committed = new Dictionary<string, SymbolStateSnapshot>(StringComparer.Ordinal);
        // A null snapshot is a tombstone: the symbol was evicted in that checkpoint.
        var uncommitted = new Dictionary<string, SymbolStateSnapshot?>(StringComparer.Ordinal);
        StateCheckpoint? checkpoint = null;
        DateTime? firstMarkerAsOf = null;
        DateTime? lastMarkerAsOf = null;
        long records = 0;
        reader.Assign(new TopicPartitionOffset(target, Offset.Beginning));
        var deadline = time.GetTimestamp() + (long)(60 * time.TimestampFrequency);
        var position = start;
        while (position < end && time.GetTimestamp() < deadline)
        {
            var record = reader.Consume(TimeSpan.FromMilliseconds(500));
            if (record is null || record.IsPartitionEOF)
            {
                position = record?.Offset.Value ?? position;
                continue;
            }

            records++;
            position = record.Offset.Value + 1;
            if (record.Message.Value is null)
            {
                uncommitted[System.Text.Encoding.UTF8.GetString(record.Message.Key ?? [])] = null;
                continue;
            }

            var snapshot = _serde.Deserialize(record.Message.Value, Topic);
            if (snapshot.checkpoint is { } marker)
            {
                foreach (var (symbol, state) in uncommitted)
                {
                    if (state is null)
                    {
                        committed.Remove(symbol);
                    }
                    else
                    {
                        committed[symbol] = state;
                    }
                }

                uncommitted.Clear();
                checkpoint = marker;
                firstMarkerAsOf ??= snapshot.as_of;
                lastMarkerAsOf = snapshot.as_of;
            }
            else
            {
                uncommitted[snapshot.symbol] = snapshot;
            }
        }

        if (position < end)
        {
            throw new InvalidOperationException(
                $"Restoring {Topic}[{partitionNumber}] stopped at offset {position} of {end}; refusing to run on "
                    + "partial state."
            );
        }

        foreach (var snapshot in committed.Values)
        {
            var symbol = StateCodec.FromSnapshot(snapshot, barMs, features.Value.InitialCapital);
            symbol.SnapshotAtMs = new DateTimeOffset(snapshot.as_of, TimeSpan.Zero).ToUnixTimeMilliseconds();
            partition.Restore(symbol, checkpoint?.watermark_ms ?? long.MinValue);
        }

        if (checkpoint is not null)
        {
            partition.TicksOffset = checkpoint.ticks_offset;
            partition.RegimesOffset = checkpoint.regimes_offset;
            partition.CheckpointSequence = checkpoint.sequence;
            partition.RegimeFrontierMs = checkpoint.regime_frontier_ms ?? long.MinValue;
        }

        var elapsed = time.GetElapsedTime(started);
        StateLog.StateRestored(
            logger,
            Topic,
            partitionNumber,
            committed.Count,
            records,
            start,
            end,
            elapsed.TotalMilliseconds,
            checkpoint?.ticks_offset ?? -1,
            checkpoint?.regimes_offset ?? -1
        );
        if (start > 0)
        {
            ReportTail(partitionNumber, start, firstMarkerAsOf, lastMarkerAsOf);
        }

        return (partition, checkpoint);
    }

    /// <summary>
    /// The partition's log starts after offset 0: older records were removed. Every live symbol was
    /// rewritten within <see cref="StateOptions.RefreshInterval"/> (plus a checkpoint interval) of
    /// the last checkpoint, so the restore is complete when the kept checkpoints reach back that far.
    /// </summary>
    private void ReportTail(int partitionNumber, long start, DateTime? firstMarkerAsOf, DateTime? lastMarkerAsOf)
    {
        var needed = stateOptions.Value.RefreshInterval + stateOptions.Value.CheckpointInterval;
        var span = firstMarkerAsOf is { } first && lastMarkerAsOf is { } last ? last - first : TimeSpan.Zero;
        if (span >= needed)
        {
            StateLog.StateTailComplete(logger, Topic, partitionNumber, start, span, needed);
        }
        else
        {
            metrics.StateRestoreIncomplete(Topic);
            StateLog.StateTailIncomplete(logger, Topic, partitionNumber, start, span, needed);
        }
    }

    private void Produce(
        TopicPartition target,
        string key,
        SymbolStateSnapshot snapshot,
        Action<DeliveryReport<byte[]?, byte[]>> delivered
    )
    {
        var value = _serde.Serialize(snapshot, Topic);
        output.Producer.Produce(
            target,
            new Message<byte[]?, byte[]> { Key = System.Text.Encoding.UTF8.GetBytes(key), Value = value },
            delivered
        );
    }
}
