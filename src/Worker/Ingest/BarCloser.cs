using System.Text;
using Confluent.Kafka;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Decisions;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Risk;
using Inference.Streaming.Worker.Decisions;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Fleet;
using Inference.Streaming.Worker.Kafka;
using Inference.Streaming.Worker.Publishing;
using Inference.Streaming.Worker.Regimes;
using Inference.Streaming.Worker.State;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Ingest;

/// <summary>
/// Turns a closed bar into a <see cref="DecisionRequest"/> and queues it, on the ingest thread: settles the
/// symbol's previous decision, folds the bar into its indicators and regime, enters its position in the partition's
/// book, shows the observation to predict, routes it, and opens its decision span. The experiment hangs off it as
/// an <see cref="IBarExperiment"/>.
/// </summary>
public sealed class BarCloser(
    IDecisionIntake decisions,
    DecisionFunction rules,
    StreamRegimes regimes,
    IBarExperiment experiment,
    IObservationSink directory,
    InferenceTelemetry telemetry,
    PipelineMetrics metrics,
    PositionsBook book,
    IOptions<KafkaOptions> kafka,
    IOptions<FeatureOptions> features
)
{
    private readonly string _decisionsTopic = kafka.Value.Topics.TradingDecisions.Name;
    private readonly long _toleranceMs = (long)features.Value.LateTolerance.TotalMilliseconds;

    /// <summary>Decides <paramref name="bar"/> of <paramref name="state"/>, closed by <paramref name="record"/>
    /// (consumed at <paramref name="consumedAt"/>), which owes the decision.</summary>
    public void Close(
        PartitionState partition,
        SymbolState state,
        Bar bar,
        ConsumeResult<byte[]?, byte[]> record,
        IOutputTracker tracked,
        long consumedAt,
        CancellationToken cancellationToken
    )
    {
        // The next observation needs the portfolio after the previous decision of this symbol.
        state.Settle(Timeout.InfiniteTimeSpan, cancellationToken);

        metrics.BarClosed();
        state.Dirty = true;
        state.ApplyRegimesBefore(bar.EndMs);
        var features = state.Observe(bar);
        var detector = regimes.Detect(state);
        var portfolio = state.Portfolio;
        // What predict shows until the decision stage takes the book for the decision itself (once complete).
        var sector = book.SectorOf(state.Symbol);
        var peers = sector is null ? SectorBook.Alone : book.PeersOf(state.Symbol, sector, book.AsOf(bar.EndMs)).Book;
        directory.Publish(
            new ObservationSnapshot(
                state.Symbol,
                record.Partition.Value,
                bar,
                features,
                state.Regime,
                portfolio.Cash,
                portfolio.Shares,
                portfolio.InitialCapital,
                portfolio.Day,
                portfolio.DayOpenValue
            )
            {
                Book = peers,
            }
        );
        var route = rules.Route(state.Symbol, state.Regime);
        var shadow = experiment.Shadow(state, bar, peers);
        var arm = experiment.ArmFor(state.Symbol);
        experiment.Closed(state, arm, shadow, bar.Close);

        var traceParent = TraceParentOf(record);
        var activity = telemetry.StartDecision(record.TopicPartitionOffset, _decisionsTopic, state.Symbol, traceParent);
        var request = new DecisionRequest
        {
            Symbol = state,
            Partition = partition,
            Bar = bar,
            Features = features,
            Regime = state.Regime,
            RegimeDetector = detector,
            Weights = route.Weights,
            Strategy = route.Strategy,
            Plan = route.Plan,
            Arm = arm,
            Shadow = shadow,
            Book = peers,
            Input = new InputPosition
            {
                topic = record.Topic,
                partition = record.Partition.Value,
                offset = record.Offset.Value,
            },
            ConsumedAt = consumedAt,
            TraceParent = activity?.Id ?? traceParent,
            Activity = activity,
            Source = DecisionRequest.Hold(tracked),
        };
        state.Await(decisions.Enqueue(request, cancellationToken), bar.Close, shadow?.Completion.Task);
    }

    /// <summary>
    /// While the book is kept: after a record, reports how far <paramref name="partition"/> has closed its bars
    /// (every bar ending at or before the watermark less the late tolerance) to the decision stage, which passes it
    /// to the fleet once the bars before it are decided. An output of the record, like its decisions.
    /// </summary>
    public void Progress(PartitionState partition, IOutputTracker tracked, CancellationToken cancellationToken)
    {
        if (!book.Enabled || partition.WatermarkMs == long.MinValue)
        {
            return;
        }

        var closedTo = partition.WatermarkMs - _toleranceMs;
        var through = closedTo - (((closedTo % book.BarMs) + book.BarMs) % book.BarMs);
        if (through <= partition.ProgressMs || !book.Partitions.Contains(partition.Partition))
        {
            return;
        }

        partition.ProgressMs = through;
        decisions.Progress(partition, through, DecisionRequest.Hold(tracked), cancellationToken);
    }

    // The tick's W3C trace context, rewritten from its parsed fields; null when it has none or it does not parse (a
    // decision may carry it on unchanged, so nothing else from the header reaches the outputs).
    private static string? TraceParentOf(ConsumeResult<byte[]?, byte[]> record) =>
        record.Message.Headers is { } headers
        && headers.TryGetLastBytes("traceparent", out var bytes)
        && bytes.Length <= InferenceTelemetry.LongestTraceParent
            ? InferenceTelemetry.Canonical(Encoding.UTF8.GetString(bytes))
            : null;
}
