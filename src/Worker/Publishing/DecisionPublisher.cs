using System.Text;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Worker.Kafka;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Publishing;

/// <summary>
/// Publishes a bar's decision and forensics, keyed by symbol: announces both to the input record, and completes
/// one for each acknowledgement. Called on the batcher's thread in bar order, so a symbol's decisions
/// reach the topic in order.
/// </summary>
public sealed class DecisionPublisher(
    KafkaOutput output,
    ISchemaRegistryClient registry,
    IOptions<KafkaOptions> options,
    KafkaConnectivity connectivity,
    TimeProvider time,
    ILogger<DecisionPublisher> logger,
    IOptions<SchemaRegistryOptions> registryOptions
) : IDecisionSink
{
    private readonly ContractSerde<TradingDecision> _decisions = new(
        registry,
        SchemaRegistryClients.SerializerConfig(registryOptions.Value)
    );
    private readonly ContractSerde<DecisionForensics> _forensics = new(
        registry,
        SchemaRegistryClients.SerializerConfig(registryOptions.Value)
    );

    public void Publish(
        DecisionRecords records,
        IOutputTracker source,
        Action<DecisionDelivery>? decisionDelivered = null
    )
    {
        var topics = options.Value.Topics;
        var key = Encoding.UTF8.GetBytes(records.Decision.symbol);
        var headers = new Headers { { "decision_id", Encoding.UTF8.GetBytes(records.Decision.decision_id) } };
        if (records.TraceParent is { } traceParent)
        {
            headers.Add("traceparent", Encoding.UTF8.GetBytes(traceParent));
        }

        // A shadow decision never reaches the order router's topic.
        var decisionTopic = records.Shadow ? topics.TradingDecisionsShadow.Name : topics.TradingDecisions.Name;
        var decisionBytes = _decisions.Serialize(records.Decision, decisionTopic);
        var forensicsBytes = _forensics.Serialize(records.Forensics, topics.DecisionForensics.Name);
        OutputAcknowledgement.Produce(
            output.Producer,
            new TopicPartition(decisionTopic, Partition.Any),
            new Message<byte[]?, byte[]>
            {
                Key = key,
                Value = decisionBytes,
                Headers = headers,
            },
            source,
            report =>
            {
                var acknowledged = OutputAcknowledgement.Record(report, source, connectivity, logger);
                decisionDelivered?.Invoke(
                    new DecisionDelivery(
                        time.GetTimestamp(),
                        report.TopicPartitionOffset,
                        acknowledged ? null : report.Error.Reason
                    )
                );
            }
        );
        OutputAcknowledgement.Produce(
            output.Producer,
            new TopicPartition(topics.DecisionForensics.Name, Partition.Any),
            new Message<byte[]?, byte[]>
            {
                Key = key,
                Value = forensicsBytes,
                Headers = headers,
            },
            source,
            report => OutputAcknowledgement.Record(report, source, connectivity, logger)
        );
    }
}
