using System.Runtime.CompilerServices;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Worker.Kafka;

namespace Inference.Streaming.Tools.Forensics;

/// <summary>
/// Reads <c>decision-forensics</c> from a cluster without joining a consumer group or committing
/// anything: every partition is assigned directly, from the query's start offset to the end it had
/// when reading began (so a live topic still gives a finite read), with <c>read_committed</c> isolation.
/// </summary>
/// <remarks>
/// Its consumer comes from <see cref="IKafkaClientFactory.CreateReader"/> and its registry client
/// from <see cref="SchemaRegistryClients"/>: the worker's own <c>Kafka:Client:*</c> (SASL, TLS) and
/// <c>SchemaRegistry:Client:*</c> (basic auth, TLS) settings reach a secured cluster here too.
/// </remarks>
public sealed class ForensicsTopicReader(
    IKafkaClientFactory clients,
    ISchemaRegistryClient registry,
    string bootstrapServers,
    string topic,
    TimeSpan idleTimeout
)
{
    /// <summary>Records that were on the topic but did not decode, with the reason.</summary>
    public List<string> Unreadable { get; } = [];

    public async IAsyncEnumerable<DecisionForensics> ReadAsync(
        ForensicsQuery query,
        [EnumeratorCancellation] CancellationToken cancellationToken
    )
    {
        var serde = new ContractSerde<DecisionForensics>(registry);
        using var consumer = clients.CreateReader("inference-forensics-reader");

        var ranges = Ranges(consumer, query);
        var remaining = ranges.Where(r => r.Value.Start < r.Value.End).ToDictionary(r => r.Key, r => r.Value);
        if (remaining.Count == 0)
        {
            yield break;
        }

        consumer.Assign(remaining.Select(r => new TopicPartitionOffset(r.Key, r.Value.Start)));
        var lastProgress = DateTime.UtcNow;
        while (remaining.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null)
            {
                if (DateTime.UtcNow - lastProgress > idleTimeout)
                {
                    throw new TimeoutException(
                        $"No records from {string.Join(", ", remaining.Keys)} for {idleTimeout.TotalSeconds:F0} s "
                            + "before the end of the requested range."
                    );
                }

                continue;
            }

            lastProgress = DateTime.UtcNow;
            var partition = result.TopicPartition;
            if (!remaining.TryGetValue(partition, out var range))
            {
                continue;
            }

            // The next position reaches the end: done with this partition. (Under read_committed a
            // transaction's commit marker can be the last offset; the end-of-partition event covers it.)
            var next = result.IsPartitionEOF ? result.Offset.Value : result.Offset.Value + 1;
            if (next >= range.End)
            {
                remaining.Remove(partition);
                consumer.IncrementalUnassign([partition]);
            }

            if (result.IsPartitionEOF || result.Offset.Value >= range.End)
            {
                continue;
            }

            // The key is the symbol: records of other symbols are skipped without decoding.
            if (
                query.Symbols.Count > 0
                && result.Message.Key is { } key
                && !query.Symbols.Contains(System.Text.Encoding.UTF8.GetString(key))
            )
            {
                continue;
            }

            DecisionForensics record;
            try
            {
                record = await serde.DeserializeAsync(result.Message.Value, topic);
            }
            catch (ContractDecodeException ex) when (ex.Reason != DecodeFailure.RegistryUnavailable)
            {
                // The record is at fault; a registry that cannot be asked (down, or refusing these credentials)
                // is not, and ends the read with its error instead.
                Unreadable.Add($"{result.TopicPartitionOffset}: {ex.Message}");
                continue;
            }

            if (query.Includes(record))
            {
                yield return record;
            }
        }
    }

    private Dictionary<TopicPartition, (long Start, long End)> Ranges(
        IConsumer<byte[]?, byte[]> consumer,
        ForensicsQuery query
    )
    {
        using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();
        var metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(10));
        var topicMetadata = metadata.Topics.SingleOrDefault(t => t.Topic == topic);
        if (topicMetadata is null || topicMetadata.Error.IsError || topicMetadata.Partitions.Count == 0)
        {
            throw new KafkaException(
                new Error(
                    topicMetadata?.Error.Code ?? ErrorCode.UnknownTopicOrPart,
                    $"Topic '{topic}' does not exist on {bootstrapServers}."
                )
            );
        }

        var ranges = new Dictionary<TopicPartition, (long Start, long End)>();
        foreach (var p in topicMetadata.Partitions.OrderBy(p => p.PartitionId))
        {
            var partition = new TopicPartition(topic, p.PartitionId);
            var watermarks = consumer.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(10));
            long start = watermarks.Low;
            long end = watermarks.High;
            if (query.FromOffset is { } fromOffset)
            {
                start = Math.Max(start, fromOffset);
            }

            if (query.ToOffset is { } toOffset)
            {
                end = Math.Min(end, toOffset);
            }

            ranges[partition] = (start, end);
        }

        return ranges;
    }
}
