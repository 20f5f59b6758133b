using System.Text;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Worker.Decisions;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Ingest;
using Inference.Streaming.Worker.Kafka;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Publishing;

/// <summary>
/// Publishes a bar's decision and forensics, keyed by symbol, and completes the input record for
/// each acknowledgement. Called on the batcher's thread in bar order, so a symbol's decisions
/// reach the topic in order.
/// </summary>
public sealed class DecisionPublisher(KafkaOutput output, ISchemaRegistryClient registry, IOptions<KafkaOptions> options, PipelineMetrics metrics, KafkaConnectivity connectivity, TimeProvider time, ILogger<DecisionPublisher> logger)
{
    private readonly ContractSerde<TradingDecision> _decisions = new(registry);
    private readonly ContractSerde<DecisionForensics> _forensics = new(registry);

    public void Publish(DecisionRecords records, DecisionRequest request)
    {
        var topics = options.Value.Topics;
        var key = Encoding.UTF8.GetBytes(records.Decision.symbol);
        var headers = new Headers { { "decision_id", Encoding.UTF8.GetBytes(records.Decision.decision_id) } };
        if (records.TraceParent is { } traceParent)
        {
            headers.Add("traceparent", Encoding.UTF8.GetBytes(traceParent));
        }

        var decisionBytes = _decisions.Serialize(records.Decision, topics.TradingDecisions.Name);
        var forensicsBytes = _forensics.Serialize(records.Forensics, topics.DecisionForensics.Name);
        var action = records.Decision.action;
        request.PublishedAt = time.GetTimestamp();
        output.Producer.Produce(topics.TradingDecisions.Name, new Message<byte[]?, byte[]> { Key = key, Value = decisionBytes, Headers = headers }, report =>
        {
            if (Acknowledged(report, request.Source))
            {
                var acknowledged = time.GetTimestamp();
                metrics.DecisionAcknowledged(action, time.GetElapsedTime(request.ConsumedAt, acknowledged).TotalMilliseconds);
                metrics.RecordStages(
                    time.GetElapsedTime(request.ConsumedAt, request.EnqueuedAt),
                    time.GetElapsedTime(request.EnqueuedAt, request.BatchStartedAt),
                    time.GetElapsedTime(request.BatchStartedAt, request.ForwardDoneAt),
                    time.GetElapsedTime(request.ForwardDoneAt, request.PublishedAt),
                    time.GetElapsedTime(request.PublishedAt, acknowledged));
            }
        });
        output.Producer.Produce(topics.DecisionForensics.Name, new Message<byte[]?, byte[]> { Key = key, Value = forensicsBytes, Headers = headers }, report => Acknowledged(report, request.Source));
    }

    private bool Acknowledged(DeliveryReport<byte[]?, byte[]> report, TrackedRecord source)
    {
        if (report.Error.IsError)
        {
            Log.DeliveryFailed(logger, report.Topic, report.Error.Reason);
            source.Fail();
            return false;
        }

        connectivity.OnReachable();
        source.Complete();
        return true;
    }
}
