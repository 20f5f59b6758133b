using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Kafka;
using Inference.Streaming.Worker.Pipeline;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Publishing;

/// <summary>
/// Sends a poison record, byte for byte with its original key, to the dead-letter topic with
/// headers saying why and where it came from: <c>dlq.reason</c>, <c>dlq.detail</c>,
/// <c>dlq.topic</c>, <c>dlq.partition</c>, <c>dlq.offset</c>.
/// </summary>
public sealed class DeadLetterPublisher(KafkaOutput output, IOptions<KafkaOptions> options, PipelineMetrics metrics, ILogger<DeadLetterPublisher> logger)
{
    public void Send(ConsumeResult<byte[]?, byte[]> record, string reason, string detail, TrackedRecord source)
    {
        metrics.DeadLettered(reason);
        Log.DeadLettered(logger, record.Topic, record.Partition.Value, record.Offset.Value, reason, detail);
        var headers = new Headers();
        if (record.Message.Headers is { } original)
        {
            foreach (var header in original)
            {
                headers.Add(header.Key, header.GetValueBytes());
            }
        }

        headers.Add("dlq.reason", Encoding.UTF8.GetBytes(reason));
        headers.Add("dlq.detail", Encoding.UTF8.GetBytes(detail.Length > 1000 ? detail[..1000] : detail));
        headers.Add("dlq.topic", Encoding.UTF8.GetBytes(record.Topic));
        headers.Add("dlq.partition", Encoding.UTF8.GetBytes(record.Partition.Value.ToString(CultureInfo.InvariantCulture)));
        headers.Add("dlq.offset", Encoding.UTF8.GetBytes(record.Offset.Value.ToString(CultureInfo.InvariantCulture)));
        source.AddPending(1);
        output.Producer.Produce(
            options.Value.Topics.DeadLetter.Name,
            new Message<byte[]?, byte[]> { Key = record.Message.Key, Value = record.Message.Value ?? [], Headers = headers },
            report =>
            {
                if (report.Error.IsError)
                {
                    Log.DeliveryFailed(logger, report.Topic, report.Error.Reason);
                    source.Fail();
                }
                else
                {
                    source.Complete();
                }
            });
    }
}
