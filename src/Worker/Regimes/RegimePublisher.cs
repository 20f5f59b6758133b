using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Worker.Decisions;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Kafka;
using Inference.Streaming.Worker.Publishing;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Regimes;

/// <summary>
/// The <c>regimes</c> service's end of the stream: where the worker queues a closed bar for a decision,
/// the regime service publishes the bar's <see cref="RegimeUpdate"/> instead, keyed by symbol, into the
/// <c>regime-updates</c> partition of the same number as the tick's (co-partitioned whatever partitioner
/// the tick producers used), with the bar's end as its event time. The input record is done when the
/// update is acknowledged, so a checkpoint never stores an offset whose update could be lost. It trades
/// nothing: each bar completes as a HOLD, and the paper portfolio in its state stays untouched.
/// </summary>
public sealed class RegimePublisher(
    KafkaOutput output,
    ISchemaRegistryClient registry,
    IOptions<KafkaOptions> options,
    KafkaConnectivity connectivity,
    ILogger<RegimePublisher> logger,
    IOptions<SchemaRegistryOptions> registryOptions
) : IDecisionIntake
{
    private readonly ContractSerde<RegimeUpdate> _serde = new(
        registry,
        SchemaRegistryClients.SerializerConfig(registryOptions.Value)
    );

    /// <summary>The detector is loaded at start-up (its own hosted service): nothing to wait for.</summary>
    public void WaitUntilReady(CancellationToken cancellationToken) { }

    public bool WaitingForBook => false;

    /// <summary>The service keeps no book (its <see cref="Fleet.PositionsBook"/> is empty): nothing to
    /// report.</summary>
    public void Progress(
        State.PartitionState partition,
        long throughMs,
        IOutputTracker source,
        CancellationToken cancellationToken
    ) => source.Complete();

    public Task<TradeAction> Enqueue(DecisionRequest request, CancellationToken cancellationToken)
    {
        var detector =
            request.RegimeDetector
            ?? throw new InvalidOperationException("the regime service runs with Regimes:Source Detector");
        var topic = options.Value.Topics.RegimeUpdates.Name;
        var regime = request.Regime;
        var update = new RegimeUpdate
        {
            symbol = request.Symbol.Symbol,
            event_time = DateTimeOffset.FromUnixTimeMilliseconds(request.Bar.EndMs).UtcDateTime,
            bull = regime.Bull,
            bear = regime.Bear,
            sideways = regime.Sideways,
            entropy = regime.Entropy,
            detector = detector.Name,
            detector_version = detector.Version,
            detector_sha256 = detector.Sha256,
        };
        var source = request.Source;
        OutputAcknowledgement.Produce(
            output.Producer,
            new TopicPartition(topic, new Partition(request.Input.partition)),
            new Message<byte[]?, byte[]>
            {
                Key = System.Text.Encoding.UTF8.GetBytes(update.symbol),
                Value = _serde.Serialize(update, topic),
            },
            source,
            report => OutputAcknowledgement.Record(report, source, connectivity, logger)
        );
        request.Resolve();
        InferenceTelemetry.End(request.Activity);
        return Task.FromResult(TradeAction.HOLD);
    }
}
