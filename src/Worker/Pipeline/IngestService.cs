using Confluent.Kafka;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Inference;
using Inference.Streaming.Worker.Kafka;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Pipeline;

/// <summary>
/// The ingest loop: one consumer on <c>market-ticks</c> and <c>regime-updates</c>, on its own
/// long-running thread (Consume blocks). Records become per-symbol state; closed bars go to the
/// micro-batcher; an input offset is stored only when the record and everything produced for it
/// are done (at-least-once). Poison input goes to the dead-letter topic and the loop goes on.
/// </summary>
public sealed class IngestService(
    IKafkaClientFactory clients,
    PipelineMetrics metrics,
    IModelCatalog catalog,
    RecordHandler handler,
    OffsetTracker tracker,
    IOptions<KafkaOptions> kafka,
    TimeProvider time,
    ILogger<IngestService> logger) : BackgroundService
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan StoreInterval = TimeSpan.FromMilliseconds(5);

    /// <summary>True once the consumer has partitions (readiness).</summary>
    public bool IsAssigned { get; private set; }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() => Run(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Run(CancellationToken stoppingToken)
    {
        try
        {
            if (!catalog.IsLoaded)
            {
                Log.WaitingForModels(logger);
                while (!catalog.IsLoaded)
                {
                    stoppingToken.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(100));
                    stoppingToken.ThrowIfCancellationRequested();
                }
            }

            using var consumer = clients.CreateConsumer("inference-ingest", kafka.Value.GroupId, builder => builder
                .SetPartitionsAssignedHandler((c, partitions) => OnAssigned(partitions))
                .SetPartitionsRevokedHandler((c, partitions) => OnRevoked(c, partitions))
                .SetPartitionsLostHandler((c, partitions) => OnLost(partitions))
                .SetErrorHandler((_, error) => Log.ConsumerError(logger, error.Reason))
                .SetStatisticsHandler((_, json) => metrics.UpdateLag(json)));
            consumer.Subscribe([kafka.Value.Topics.MarketTicks.Name, kafka.Value.Topics.RegimeUpdates.Name]);
            var lastStore = time.GetTimestamp();
            try
            {
                while (!stoppingToken.IsCancellationRequested)
                {
                    ConsumeResult<byte[]?, byte[]>? record;
                    try
                    {
                        record = consumer.Consume(TimeSpan.FromMilliseconds(100));
                    }
                    catch (ConsumeException ex)
                    {
                        Log.ConsumerError(logger, ex.Error.Reason);
                        continue;
                    }

                    if (record is { IsPartitionEOF: false })
                    {
                        var tracked = tracker.Begin(record.TopicPartition, record.Offset.Value);
                        handler.Handle(record, tracked, time.GetTimestamp(), stoppingToken);
                        tracked.Complete();
                    }

                    // Storing offsets walks every partition's queue: every few milliseconds is enough.
                    if (time.GetElapsedTime(lastStore) >= StoreInterval)
                    {
                        StoreDone(consumer);
                        lastStore = time.GetTimestamp();
                    }
                }
            }
            finally
            {
                // Graceful stop: let the batcher finish what was read, store those offsets, leave the group.
                WaitForInFlight(consumer, null);
                consumer.Close();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.IngestFailed(logger, ex);
            throw;
        }
    }

    private void StoreDone(IConsumer<byte[]?, byte[]> consumer)
    {
        foreach (var offset in tracker.TakeCommittable())
        {
            try
            {
                consumer.StoreOffset(offset);
            }
            catch (KafkaException ex)
            {
                // The partition was revoked meanwhile; its new owner processes the record again.
                Log.ConsumerError(logger, ex.Error.Reason);
            }
        }
    }

    private void WaitForInFlight(IConsumer<byte[]?, byte[]> consumer, List<TopicPartition>? partitions)
    {
        var deadline = time.GetTimestamp() + (long)(DrainTimeout.TotalSeconds * time.TimestampFrequency);
        while (tracker.InFlight(partitions) > 0 && time.GetTimestamp() < deadline)
        {
            StoreDone(consumer);
            Thread.Sleep(5);
        }

        StoreDone(consumer);
    }

    private void OnAssigned(List<TopicPartition> partitions)
    {
        handler.Assign(partitions.Select(p => p.Partition.Value));
        IsAssigned = true;
        Log.PartitionsAssigned(logger, string.Join(", ", partitions));
    }

    private void OnRevoked(IConsumer<byte[]?, byte[]> consumer, List<TopicPartitionOffset> partitions)
    {
        var revoked = partitions.Select(p => p.TopicPartition).ToList();
        WaitForInFlight(consumer, revoked);
        tracker.Forget(revoked);
        handler.Revoke(revoked.Select(p => p.Partition.Value));
        metrics.ForgetLag();
        Log.PartitionsRevoked(logger, string.Join(", ", revoked));
    }

    private void OnLost(List<TopicPartitionOffset> partitions)
    {
        var lost = partitions.Select(p => p.TopicPartition).ToList();
        tracker.Forget(lost);
        handler.Revoke(lost.Select(p => p.Partition.Value));
        Log.PartitionsLost(logger, string.Join(", ", lost));
    }
}
