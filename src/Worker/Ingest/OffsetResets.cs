using System.Globalization;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using Inference.Streaming.Engine.Diagnostics;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Kafka;

namespace Inference.Streaming.Worker.Ingest;

/// <summary>
/// Makes a consumer's lost input visible. When the offset a partition would resume from is gone
/// (the broker's retention removed it while the worker was away or behind), librdkafka resets it
/// by <c>auto.offset.reset</c> and says so only in its log. This reads that log line, counts it in
/// <c>inference_offset_resets_total</c>, and when the partition's next record arrives says where
/// reading resumed. (Records read again are skipped by the record handler.) Every other
/// librdkafka log line goes to the worker's log.
/// </summary>
public sealed partial class OffsetResets(PipelineMetrics metrics, ILogger logger)
{
    // Written from librdkafka's log thread, read for every record: a plain dictionary under a lock,
    // with a count the ingest loop can check without taking it (ConcurrentDictionary.IsEmpty takes
    // every lock when the dictionary is empty, which is nearly always).
    private readonly Dictionary<TopicPartition, long> _resetFrom = [];
    private readonly Lock _gate = new();
    private int _pending;

    /// <summary>The consumer's log handler.</summary>
    public void OnClientLog(LogMessage message)
    {
        if (message.Facility == "OFFSET" && ResetLine().Match(message.Message) is { Success: true } reset)
        {
            var partition = new TopicPartition(
                reset.Groups["topic"].Value,
                new Partition(int.Parse(reset.Groups["partition"].Value, CultureInfo.InvariantCulture))
            );
            var from = long.TryParse(
                reset.Groups["offset"].Value,
                NumberStyles.Integer,
                CultureInfo.InvariantCulture,
                out var offset
            )
                ? offset
                : -1;
            lock (_gate)
            {
                _resetFrom[partition] = from;
                Volatile.Write(ref _pending, _resetFrom.Count);
            }

            metrics.OffsetReset(partition.Topic);
            IngestLog.OffsetReset(
                logger,
                partition.Topic,
                partition.Partition.Value,
                from,
                LogText.Quote(message.Message)
            );
            return;
        }

        var level = ToLevel(message.Level);
        KafkaLog.ClientLog(logger, level, message.Facility, message.Message);
    }

    /// <summary>Call with each record read: the first after a reset tells where reading resumed.</summary>
    public void OnRecord(ConsumeResult<byte[]?, byte[]> record)
    {
        if (Volatile.Read(ref _pending) == 0)
        {
            return;
        }

        long from;
        lock (_gate)
        {
            if (!_resetFrom.Remove(record.TopicPartition, out from))
            {
                return;
            }

            Volatile.Write(ref _pending, _resetFrom.Count);
        }

        IngestLog.ResumedAfterReset(logger, record.Topic, record.Partition.Value, record.Offset.Value, from);
    }

    private static LogLevel ToLevel(SyslogLevel level) =>
        level switch
        {
            <= SyslogLevel.Error => LogLevel.Error,
            SyslogLevel.Warning => LogLevel.Warning,
            SyslogLevel.Notice or SyslogLevel.Info => LogLevel.Information,
            _ => LogLevel.Debug,
        };

    // librdkafka 2.16: "[thrd:main]: market-ticks [3]: offset reset (at offset 829 (leader epoch -1), broker 3)
    // to cached BEGINNING offset offset 1197 (leader epoch -1): fetch failed due to requested offset not available ..."
    [GeneratedRegex(@"(?<topic>[^\s\[\]]+) \[(?<partition>\d+)\]: offset reset \(at offset (?<offset>-?\d+|[A-Z_]+)")]
    private static partial Regex ResetLine();
}
