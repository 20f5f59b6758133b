using Confluent.Kafka;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Kafka;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Ingest;

/// <summary>
/// Watches the ingest loop from outside it. Every <see cref="Period"/> it asks the brokers for each
/// assigned partition's high watermark (its own consumer, which joins no group), takes the loop's
/// position from <see cref="IngestHeartbeat"/>, and publishes the difference as
/// <c>inference_consumer_lag</c>: a figure that keeps moving when the loop stops, unlike
/// librdkafka's statistics, which are delivered by the loop's own polls. The loop is stalled when
/// it has not turned for <c>Diagnostics:IngestStallTimeout</c> while records wait: <c>/health</c>,
/// readiness and liveness then fail (<see cref="IngestStallHealthCheck"/>) and
/// <c>inference_ingest_stalled</c> is 1.
/// </summary>
public sealed class IngestWatchdog(
    IngestHeartbeat heartbeat,
    IKafkaClientFactory clients,
    PipelineMetrics metrics,
    IOptions<KafkaOptions> kafka,
    IOptions<DiagnosticsOptions> options,
    ILogger<IngestWatchdog> logger
) : BackgroundService
{
    /// <summary>How often the watermarks are read and the loop judged.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(2);

    private volatile IngestStall _state = IngestStall.NotRunning;

    /// <summary>The latest judgement.</summary>
    public IngestStall State => _state;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(
            () => Run(stoppingToken),
            stoppingToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default
        );

    private void Run(CancellationToken stoppingToken)
    {
        IConsumer<byte[]?, byte[]>? probe = null;
        try
        {
            while (!stoppingToken.WaitHandle.WaitOne(Period))
            {
                if (heartbeat.Positions() is not { } positions)
                {
                    _state = IngestStall.NotRunning;
                    metrics.IngestWatched(null, stalled: false);
                    continue;
                }

                // Created once the loop runs: the embedded broker's address is known by then.
                probe ??= clients.CreateConsumer("inference-watchdog", kafka.Value.GroupId);
                Judge(probe, positions);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            IngestLog.WatchdogFailed(logger, ex);
        }
        finally
        {
            probe?.Dispose();
        }
    }

    /// <summary>One look: lag per partition from the brokers, then the loop's state.</summary>
    internal void Judge(IConsumer<byte[]?, byte[]> probe, List<TopicPartitionOffset> positions)
    {
        var lag = new Dictionary<(string Topic, int Partition), long>();
        foreach (var position in positions)
        {
            if (position.Offset.IsSpecial)
            {
                // Nothing read from it yet: where the loop will start is not known from here.
                continue;
            }

            try
            {
                var watermarks = probe.QueryWatermarkOffsets(position.TopicPartition, QueryTimeout);
                lag[(position.Topic, position.Partition.Value)] = Math.Max(
                    0,
                    watermarks.High.Value - position.Offset.Value
                );
            }
            catch (KafkaException)
            {
                // This partition's figure stays unknown this round; the connectivity check reports the broker.
            }
        }

        metrics.ReplaceLag(lag);
        var waiting = lag.Values.Sum();
        var age = heartbeat.Age ?? TimeSpan.Zero;
        var stalled = waiting > 0 && age > options.Value.IngestStallTimeout;
        var previous = _state;
        _state = new IngestStall(Running: true, stalled, age, waiting);
        metrics.IngestWatched(age, stalled);
        if (stalled && !previous.Stalled)
        {
            IngestLog.IngestStalled(logger, age.TotalSeconds, waiting);
        }
        else if (!stalled && previous.Stalled)
        {
            IngestLog.IngestResumed(logger, age.TotalSeconds);
        }
    }
}

/// <summary>What <see cref="IngestWatchdog"/> last saw of the ingest loop.</summary>
public sealed record IngestStall(bool Running, bool Stalled, TimeSpan SinceLastTurn, long RecordsWaiting)
{
    public static readonly IngestStall NotRunning = new(false, false, TimeSpan.Zero, 0);
}
