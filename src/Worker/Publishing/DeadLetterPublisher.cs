using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Inference.Streaming.Engine.Diagnostics;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Kafka;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Publishing;

/// <summary>
/// Sends a poison record, byte for byte with its original key, to the dead-letter topic with
/// headers saying why and where it came from: <c>dlq.reason</c>, <c>dlq.detail</c>,
/// <c>dlq.topic</c>, <c>dlq.partition</c>, <c>dlq.offset</c>. The record's own <c>dlq.*</c>
/// headers are kept as <c>dlq.original.*</c>, so nothing upstream can forge the reason; a null
/// value stays null. A record too large to be produced whole is sent truncated
/// (<c>dlq.truncated: value</c>) and, if the broker still refuses it, as a reference without a value
/// (<c>dlq.truncated: reference</c>); both carry the original sizes. A dead letter that cannot be
/// delivered at all is counted (<c>inference_dead_letters_failed_total</c>), logged once with the
/// record's coordinates, and skipped: one record never stops the stream.
/// </summary>
public sealed class DeadLetterPublisher(
    KafkaOutput output,
    IOptions<KafkaOptions> options,
    PipelineMetrics metrics,
    ILogger<DeadLetterPublisher> logger
) : IDeadLetterSink
{
    /// <summary>What a truncated dead letter keeps of the value.</summary>
    public const int TruncatedValueBytes = 64 * 1024;

    private const int HeaderAllowance = 16 * 1024;
    private const int QueueFullRetries = 500;
    private const string Prefix = "dlq.";

    // librdkafka refuses a message over message.max.bytes before sending it (default 1,000,000).
    private readonly int _maxMessageBytes =
        options.Value.Producer.TryGetValue("message.max.bytes", out var configured)
        && int.TryParse(configured, NumberStyles.Integer, CultureInfo.InvariantCulture, out var bytes)
            ? bytes
            : 1_000_000;

    public void Send(ConsumeResult<byte[]?, byte[]> record, string reason, string detail, IOutputTracker source) =>
        Send(DeadLetter.Of(record, reason, detail), source);

    public void Send(DeadLetter letter, IOutputTracker source)
    {
        metrics.DeadLettered(letter.Reason);
        PublishingLog.DeadLettered(
            logger,
            letter.Topic,
            letter.Partition,
            letter.Offset,
            letter.Reason,
            LogText.Quote(letter.Detail)
        );
        source.AddPending(1);
        var (key, value, truncated) = Fit(letter);
        Produce(letter, Headers(letter, truncated), key, value, source, retryAsReference: truncated != "reference");
    }

    private (byte[]? Key, byte[]? Value, string? Truncated) Fit(DeadLetter letter)
    {
        var size = (letter.Key?.Length ?? 0) + (letter.Value?.Length ?? 0) + HeaderBytes(letter.Headers);
        if (size + HeaderAllowance <= _maxMessageBytes)
        {
            return (letter.Key, letter.Value, null);
        }

        var key = letter.Key is { Length: > 1024 } longKey ? longKey[..1024] : letter.Key;
        var value = letter.Value is { } whole ? whole[..Math.Min(whole.Length, TruncatedValueBytes)] : null;
        return (key, value, "value");
    }

    private void Produce(
        DeadLetter letter,
        Headers headers,
        byte[]? key,
        byte[]? value,
        IOutputTracker source,
        bool retryAsReference
    )
    {
        void Delivered(DeliveryReport<byte[]?, byte[]> report)
        {
            if (!report.Error.IsError)
            {
                source.Complete();
            }
            else if (retryAsReference && report.Error.Code is ErrorCode.MsgSizeTooLarge or ErrorCode.RecordListTooLarge)
            {
                Produce(
                    letter,
                    Headers(letter, "reference"),
                    Reference(letter.Key),
                    null,
                    source,
                    retryAsReference: false
                );
            }
            else
            {
                Failed(letter, report.Error.Reason, source);
            }
        }

        try
        {
            // A null value stays null: a tombstone is dead-lettered as a tombstone.
            var message = new Message<byte[]?, byte[]>
            {
                Key = key,
                Value = value!,
                Headers = headers,
            };
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    output.Producer.Produce(options.Value.Topics.DeadLetter.Name, message, Delivered);
                    break;
                }
                catch (ProduceException<byte[]?, byte[]> ex)
                    when (ex.Error.Code == ErrorCode.Local_QueueFull && attempt < QueueFullRetries)
                {
                    // The producer's queue drains as the broker acknowledges; wait for room.
                    Thread.Sleep(10);
                }
            }
        }
        catch (ProduceException<byte[]?, byte[]> ex)
            when (retryAsReference && ex.Error.Code is ErrorCode.MsgSizeTooLarge or ErrorCode.RecordListTooLarge)
        {
            Produce(letter, Headers(letter, "reference"), Reference(letter.Key), null, source, retryAsReference: false);
        }
        catch (Exception ex) when (ex is KafkaException or ArgumentException or InvalidOperationException)
        {
            Failed(letter, ex.Message, source);
        }
    }

    private void Failed(DeadLetter letter, string error, IOutputTracker source)
    {
        metrics.DeadLetterFailed(letter.Reason);
        PublishingLog.DeadLetterFailed(
            logger,
            letter.Topic,
            letter.Partition,
            letter.Offset,
            letter.Reason,
            LogText.Quote(error)
        );
        // Skipped, not retried forever: the offset moves on, and the failure is counted and logged.
        source.Complete();
    }

    private static byte[]? Reference(byte[]? key) => key is { Length: > 1024 } ? key[..1024] : key;

    private Headers Headers(DeadLetter letter, string? truncated)
    {
        var headers = new Headers();
        var budget = _maxMessageBytes / 2;
        if (letter.Headers is { } original && truncated != "reference")
        {
            foreach (var header in original)
            {
                var bytes = header.GetValueBytes();
                budget -= header.Key.Length + (bytes?.Length ?? 0);
                if (budget < 0)
                {
                    break;
                }

                // The record's own dlq.* headers must not pass for ours.
                headers.Add(
                    header.Key.StartsWith(Prefix, StringComparison.Ordinal)
                        ? "dlq.original." + header.Key[Prefix.Length..]
                        : header.Key,
                    bytes
                );
            }
        }

        var detail = letter.Detail;
        if (truncated is not null)
        {
            detail =
                (
                    truncated == "value"
                        ? $"record of {letter.Value?.Length ?? 0:N0} bytes (key {letter.Key?.Length ?? 0:N0}) is too "
                            + $"large to dead-letter whole; the value is cut to its first {TruncatedValueBytes:N0} "
                            + "bytes. "
                        : $"record of {letter.Value?.Length ?? 0:N0} bytes (key {letter.Key?.Length ?? 0:N0}) could "
                            + "not be dead-lettered even truncated; this is a reference without the value, read the "
                            + "original at its coordinates. "
                ) + detail;
            headers.Add("dlq.truncated", Encoding.UTF8.GetBytes(truncated));
            headers.Add("dlq.value.size", Text(letter.Value?.Length ?? 0));
            headers.Add("dlq.key.size", Text(letter.Key?.Length ?? 0));
        }

        headers.Add("dlq.reason", Encoding.UTF8.GetBytes(letter.Reason));
        headers.Add("dlq.detail", Encoding.UTF8.GetBytes(LogText.Quote(detail, 1000)));
        headers.Add("dlq.topic", Encoding.UTF8.GetBytes(letter.Topic));
        headers.Add("dlq.partition", Text(letter.Partition));
        headers.Add("dlq.offset", Text(letter.Offset));
        foreach (var (name, text) in letter.Extra ?? [])
        {
            headers.Add(name, Encoding.UTF8.GetBytes(text));
        }

        return headers;
    }

    private static int HeaderBytes(Headers? headers)
    {
        var total = 0;
        foreach (var header in headers ?? [])
        {
            total += header.Key.Length + (header.GetValueBytes()?.Length ?? 0) + 8;
        }

        return total;
    }

    private static byte[] Text(long value) => Encoding.UTF8.GetBytes(value.ToString(CultureInfo.InvariantCulture));
}
