using Confluent.Kafka;
using Inference.Streaming.Worker.Decisions;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Kafka;
using Inference.Streaming.Worker.Regimes;
using Inference.Streaming.Worker.State;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Ingest;

/// <summary>
/// The ingest loop: one consumer on <c>market-ticks</c> and <c>regime-updates</c>, on its own
/// long-running thread (Consume blocks). Records become per-symbol state; closed bars go to the
/// micro-batcher. Every <c>State:CheckpointInterval</c>, once everything produced for the records
/// read so far is acknowledged, the changed symbols' state and a checkpoint marker go to the
/// changelog and the input offsets are stored: a restart, rebalance or crash resumes from the last
/// checkpoint with exactly that state (at-least-once; replayed decisions are identical).
/// </summary>
public sealed class IngestService(
    IKafkaClientFactory clients,
    PipelineMetrics metrics,
    RecordHandler handler,
    OwnedPartitions owned,
    RegimeAlignment alignment,
    OffsetTracker tracker,
    StateStore state,
    KafkaConnectivity connectivity,
    IInputCommitter committer,
    GroupInstance instance,
    IOptions<KafkaOptions> kafka,
    IOptions<StateOptions> stateOptions,
    TimeProvider time,
    ILogger<IngestService> logger,
    StreamRegimes regimes,
    IngestHeartbeat heartbeat,
    IDecisionIntake decisions,
    Checkpoints checkpoints
) : BackgroundService
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    /// <summary>True once the consumer has partitions and their state is restored (readiness).</summary>
    public bool IsAssigned { get; private set; }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(
            () => Run(stoppingToken),
            stoppingToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default
        );

    private void Run(CancellationToken stoppingToken)
    {
        // Its CPU is accounted by this name (inference_cpu_time_seconds_total{role="ingest"}).
        Thread.CurrentThread.Name = CpuAccounting.IngestThread;
        try
        {
            // The worker's decision stage needs its models before the first bar; the regime service's needs none.
            decisions.WaitUntilReady(stoppingToken);

            var resets = new OffsetResets(metrics, logger);
            using var consumer = clients.CreateConsumer(
                "inference-ingest",
                kafka.Value.GroupId,
                builder =>
                    builder
                        .SetLogHandler((_, message) => resets.OnClientLog(message))
                        .SetPartitionsAssignedHandler((c, partitions) => OnAssigned(partitions))
                        .SetPartitionsRevokedHandler((c, partitions) => OnRevoked(c, partitions))
                        .SetPartitionsLostHandler((c, partitions) => OnLost(c, partitions))
                        .SetErrorHandler(
                            (_, error) =>
                            {
                                connectivity.OnError(error);
                                IngestLog.ConsumerError(logger, error.Reason);
                            }
                        )
            );
            committer.Start();
            if (instance.Id is { } id)
            {
                KafkaLog.StaticMember(logger, kafka.Value.GroupId, id, kafka.Value.LeaveGroupOnStop);
            }

            if (clients.MockClusterSessionTimeoutMs() is { } sessionTimeoutMs)
            {
                KafkaLog.MockClusterSession(logger, sessionTimeoutMs);
            }

            // With Regimes:Source Detector the worker computes regimes from its own bars and reads no regime topic.
            consumer.Subscribe(
                regimes.FromDetector
                    ? [kafka.Value.Topics.MarketTicks.Name]
                    : [kafka.Value.Topics.MarketTicks.Name, kafka.Value.Topics.RegimeUpdates.Name]
            );
            var lastCheckpoint = time.GetTimestamp();
            heartbeat.Attach(consumer);
            try
            {
                while (!stoppingToken.IsCancellationRequested)
                {
                    ConsumeResult<byte[]?, byte[]>? record;
                    try
                    {
                        // While records are held, look at them again soon rather than wait out a quiet poll.
                        record = consumer.Consume(TimeSpan.FromMilliseconds(alignment.Held > 0 ? 5 : 100));
                    }
                    catch (ConsumeException ex)
                    {
                        heartbeat.Beat(time.GetTimestamp());
                        IngestLog.ConsumerError(logger, ex.Error.Reason);
                        continue;
                    }

                    // One clock read per turn for the heartbeat, the record's consumed time and the checkpoint.
                    var now = time.GetTimestamp();
                    heartbeat.Beat(now);

                    if (record is { IsPartitionEOF: true } && record.Topic == kafka.Value.Topics.RegimeUpdates.Name)
                    {
                        alignment.ReadToEnd(record.Partition.Value);
                    }
                    else if (record is { IsPartitionEOF: false })
                    {
                        connectivity.OnReachable();
                        resets.OnRecord(record);
                        if (alignment.CaughtUp(record))
                        {
                            Process(record, now, stoppingToken);
                        }
                        else
                        {
                            // Wait for the regime updates: later ticks of this partition stay in the broker.
                            alignment.Hold(record);
                            consumer.Pause([record.TopicPartition]);
                        }
                    }

                    ReleaseHeld(consumer, stoppingToken);

                    if (time.GetElapsedTime(lastCheckpoint, now) >= stateOptions.Value.CheckpointInterval)
                    {
                        checkpoints.Write(consumer, owned.Partitions.Keys.ToList());
                        lastCheckpoint = time.GetTimestamp();
                    }
                }
            }
            finally
            {
                // Graceful stop: finish what was read, checkpoint it, leave the group.
                heartbeat.Detach();
                checkpoints.Write(consumer, owned.Partitions.Keys.ToList());
                Leave(consumer);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            IngestLog.IngestFailed(logger, ex);
            throw;
        }
    }

    /// <summary>
    /// A static member's close does not leave the group (KIP-345): its partitions would wait for it
    /// until its session times out. With <c>Kafka:LeaveGroupOnStop</c> the worker unsubscribes
    /// first and keeps polling until the revocation has run: librdkafka then sends LeaveGroup (it
    /// skips that only when the consumer is closing), and the other workers take the partitions
    /// at once.
    /// </summary>
    private void Leave(IConsumer<byte[]?, byte[]> consumer)
    {
        if (kafka.Value.LeaveGroupOnStop && instance.Id is not null && consumer.Subscription.Count > 0)
        {
            try
            {
                consumer.Unsubscribe();
                var deadline = time.GetTimestamp() + (long)(DrainTimeout.TotalSeconds * time.TimestampFrequency);
                while (consumer.Assignment.Count > 0 && time.GetTimestamp() < deadline)
                {
                    _ = consumer.Consume(TimeSpan.FromMilliseconds(50));
                }

                // The LeaveGroup request goes out from librdkafka's own thread once the unassignment is done.
                _ = consumer.Consume(TimeSpan.FromMilliseconds(200));
            }
            catch (KafkaException ex)
            {
                // Stopping anyway: the group drops this member when its session times out.
                IngestLog.ConsumerError(logger, ex.Error.Reason);
            }
        }

        consumer.Close();
    }

    private void Process(ConsumeResult<byte[]?, byte[]> record, long consumedAt, CancellationToken stoppingToken)
    {
        var tracked = tracker.Begin(record.TopicPartition, record.Offset.Value);
        try
        {
            handler.Handle(record, tracked, consumedAt, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the record stays unfinished, so its offset is not stored and it is read again.
            throw;
        }
        catch (Exception ex)
        {
            // No exception from one record may stop the stream: dead-letter it and go on.
            handler.Failed(record, tracked, ex);
        }

        tracked.Complete();
    }

    /// <summary>Processes the records whose regime updates have come, timed from their release (after this turn's
    /// record, which may have waited for room in the decision stage).</summary>
    private void ReleaseHeld(IConsumer<byte[]?, byte[]> consumer, CancellationToken stoppingToken)
    {
        var released = alignment.Release();
        var now = released.Count > 0 ? time.GetTimestamp() : 0;
        foreach (var record in released)
        {
            Process(record, now, stoppingToken);
            consumer.Resume([record.TopicPartition]);
        }
    }

    private List<TopicPartitionOffset> OnAssigned(List<TopicPartition> partitions)
    {
        var starts = new List<TopicPartitionOffset>();
        var topics = kafka.Value.Topics;
        foreach (var number in partitions.Select(p => p.Partition.Value).Distinct().Order())
        {
            var (restored, checkpoint) = state.Restore(number);
            owned.Install(restored);
            foreach (var partition in partitions.Where(p => p.Partition.Value == number))
            {
                var last =
                    partition.Topic == topics.MarketTicks.Name ? checkpoint?.ticks_offset : checkpoint?.regimes_offset;
                starts.Add(
                    new TopicPartitionOffset(partition, last is { } offset ? new Offset(offset + 1) : Offset.Unset)
                );
            }
        }

        IsAssigned = true;
        IngestLog.PartitionsAssigned(logger, string.Join(", ", starts));
        return starts;
    }

    /// <summary>
    /// Drops the ticks held for regime alignment on partitions that leave this worker, and resumes those partitions:
    /// librdkafka keeps a partition's pause across an eager rebalance, so a partition paused for a held tick and
    /// assigned back to this worker would otherwise never be fetched again (seen in CI: a worker that held ticks
    /// while it briefly owned every partition decided nothing after it got two of them back).
    /// </summary>
    private void Unhold(IConsumer<byte[]?, byte[]> consumer, List<TopicPartition> leaving)
    {
        alignment.Forget(leaving.Select(p => p.Partition.Value).Distinct());
        try
        {
            consumer.Resume(leaving);
        }
        catch (KafkaException ex)
        {
            // A partition already gone from the assignment (lost) has no fetcher to resume.
            IngestLog.ResumeFailed(logger, string.Join(", ", leaving), ex.Error.Reason);
        }
    }

    private void OnRevoked(IConsumer<byte[]?, byte[]> consumer, List<TopicPartitionOffset> partitions)
    {
        var revoked = partitions.Select(p => p.TopicPartition).ToList();
        var numbers = revoked.Select(p => p.Partition.Value).Distinct().ToList();
        checkpoints.Write(consumer, numbers);
        Unhold(consumer, revoked);

        tracker.Forget(revoked);
        owned.Revoke(numbers);
        metrics.ForgetLag();
        IsAssigned = false;
        IngestLog.PartitionsRevoked(logger, string.Join(", ", revoked));
    }

    private void OnLost(IConsumer<byte[]?, byte[]> consumer, List<TopicPartitionOffset> partitions)
    {
        var lost = partitions.Select(p => p.TopicPartition).ToList();
        Unhold(consumer, lost);

        tracker.Forget(lost);
        owned.Revoke(lost.Select(p => p.Partition.Value).Distinct());
        IsAssigned = false;
        IngestLog.PartitionsLost(logger, string.Join(", ", lost));
    }
}
