using System.Globalization;
using Confluent.Kafka;
using Inference.Streaming.Worker.Kafka;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Embedded;

/// <summary>
/// Time-based retention for the embedded broker, as a Kafka broker's <c>retention.ms</c> does it:
/// each sweep notes every partition's end offset, and removes the records before the end offset
/// noted one retention period ago. librdkafka's mock broker has no retention of its own; it keeps
/// up to 5 MiB or 100,000 message sets per partition, drops the oldest beyond that without a
/// word, and walks a partition's message sets from the head on every fetch, so a long-running
/// embedded worker grew slower by the minute (docs/PERFORMANCE.md). A removal the broker made
/// itself, before this retention, is logged as a warning.
/// </summary>
public sealed class EmbeddedRetention(
    EmbeddedKafka embedded,
    IOptions<EmbeddedOptions> options,
    IOptions<KafkaOptions> kafka,
    TimeProvider time,
    ILogger<EmbeddedRetention> logger
) : BackgroundService
{
    private static readonly TimeSpan LongestSweep = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ShortestSweep = TimeSpan.FromMilliseconds(200);

    private readonly Dictionary<(string Topic, int Partition), Partition> _partitions = [];

    /// <summary>The retention of each topic that has one.</summary>
    public IReadOnlyList<(TopicOptions Topic, TimeSpan Retention)> Topics { get; } =
        Resolve(options.Value, kafka.Value);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var group in Topics.GroupBy(t => t.Retention))
        {
            EmbeddedLog.EmbeddedRetention(logger, string.Join(", ", group.Select(t => t.Topic.Name)), group.Key);
        }

        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (Topics.Count == 0)
        {
            return;
        }

        var sweep = TimeSpan.FromTicks(
            Math.Clamp(Topics.Min(t => t.Retention).Ticks / 10, ShortestSweep.Ticks, LongestSweep.Ticks)
        );
        using var reader = new ConsumerBuilder<Ignore, Ignore>(
            new ConsumerConfig
            {
                BootstrapServers = embedded.BootstrapServers,
                GroupId = "embedded-retention",
                ClientId = "embedded-retention",
            }
        ).SetLogHandler((_, message) => EmbeddedLog.EmbeddedRetentionClient(logger, message.Message)).Build();
        using var timer = new PeriodicTimer(sweep, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await Task.Run(() => Sweep(reader, stoppingToken), stoppingToken);
        }
    }

    /// <summary>Notes every partition's end offset and removes what has been kept longer than its retention.</summary>
    public void Sweep(IConsumer<Ignore, Ignore> reader, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        foreach (var (topic, retention) in Topics)
        {
            for (var number = 0; number < topic.Partitions && !cancellationToken.IsCancellationRequested; number++)
            {
                WatermarkOffsets watermarks;
                try
                {
                    watermarks = reader.QueryWatermarkOffsets(
                        new TopicPartition(topic.Name, number),
                        TimeSpan.FromSeconds(5)
                    );
                }
                catch (KafkaException ex)
                {
                    // Not created yet, or the broker is being stopped: try again next sweep.
                    EmbeddedLog.EmbeddedRetentionSkipped(logger, topic.Name, number, ex.Error.Reason);
                    continue;
                }

                if (!_partitions.TryGetValue((topic.Name, number), out var partition))
                {
                    _partitions[(topic.Name, number)] = partition = new Partition();
                }

                Apply(topic.Name, number, partition, watermarks, now - retention);
                partition.Ends.Enqueue((now, watermarks.High.Value));
            }
        }
    }

    private void Apply(
        string topic,
        int number,
        Partition partition,
        WatermarkOffsets watermarks,
        DateTimeOffset keepAfter
    )
    {
        if (watermarks.Low.Value > partition.Removed && watermarks.Low.Value > 0 && !partition.WarnedOfBrokerLimit)
        {
            // Records went that this retention did not remove: the mock broker's own limit.
            partition.WarnedOfBrokerLimit = true;
            EmbeddedLog.EmbeddedBrokerDropped(logger, topic, number, watermarks.Low.Value);
        }

        long? cut = null;
        while (partition.Ends.TryPeek(out var noted) && noted.At <= keepAfter)
        {
            cut = partition.Ends.Dequeue().End;
        }

        if (cut is { } before && before > Math.Max(partition.Removed, watermarks.Low.Value))
        {
            try
            {
                embedded.Cluster.DeleteRecords(topic, number, before);
            }
            catch (InvalidOperationException ex)
            {
                // One partition the broker would not trim must not stop the process: the next sweep tries again.
                EmbeddedLog.EmbeddedRetentionSkipped(logger, topic, number, ex.Message);
                return;
            }

            EmbeddedLog.EmbeddedRetentionRemoved(
                logger,
                topic,
                number,
                before - Math.Max(partition.Removed, watermarks.Low.Value),
                before
            );
            partition.Removed = before;
        }
        else
        {
            partition.Removed = Math.Max(partition.Removed, watermarks.Low.Value);
        }
    }

    /// <summary>The retention each topic gets: its own <c>retention.ms</c>, else <c>Embedded:Retention</c>.</summary>
    public static List<(TopicOptions, TimeSpan)> Resolve(EmbeddedOptions embedded, KafkaOptions kafka)
    {
        var topics = new List<(TopicOptions, TimeSpan)>();
        foreach (var (key, topic) in kafka.Topics.All())
        {
            var retention = embedded.Retention;
            if (topic.Config.TryGetValue("retention.ms", out var text))
            {
                if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms) || ms < -1)
                {
                    throw new OptionsValidationException(
                        key,
                        typeof(TopicOptions),
                        [
                            $"Kafka:Topics:{key}:Config:retention.ms must be a whole number of milliseconds, or -1 "
                                + $"to keep records; got '{text}'.",
                        ]
                    );
                }

                retention = ms == -1 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(ms);
            }

            if (retention > TimeSpan.Zero)
            {
                topics.Add((topic, retention));
            }
        }

        return topics;
    }

    private sealed class Partition
    {
        /// <summary>End offsets noted by earlier sweeps, oldest first.</summary>
        public Queue<(DateTimeOffset At, long End)> Ends { get; } = new();

        /// <summary>Where the partition's log starts as far as this retention knows.</summary>
        public long Removed { get; set; }

        public bool WarnedOfBrokerLimit { get; set; }
    }
}
