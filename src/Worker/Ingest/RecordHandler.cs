using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Diagnostics;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Fleet;
using Inference.Streaming.Worker.Kafka;
using Inference.Streaming.Worker.Publishing;
using Inference.Streaming.Worker.State;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Ingest;

/// <summary>
/// Routes one input record through the ingest stages, on the ingest thread: skips what this state already holds,
/// refuses keys on the wrong partition, decodes, checks the <see cref="RecordRules"/>, admits the symbol
/// (<see cref="OwnedPartitions"/>), folds the tick into its bar or the update into its regimes, and hands each
/// closed bar to the <see cref="BarCloser"/>. Whatever is refused goes to the dead-letter topic with its reason.
/// </summary>
public sealed class RecordHandler(
    ISchemaRegistryClient registry,
    OwnedPartitions owned,
    RecordRules rules,
    BarCloser bars,
    IDeadLetterSink deadLetters,
    PipelineMetrics metrics,
    IOptions<KafkaOptions> kafka,
    IOptions<FeatureOptions> features,
    PositionsBook book,
    ILogger<RecordHandler> logger
)
{
    private readonly ContractSerde<MarketTick> _ticks = new(registry);
    private readonly ContractSerde<RegimeUpdate> _regimes = new(registry);
    private readonly KafkaOptions _kafka = kafka.Value;
    private readonly KeyPlacement _placement = new(kafka.Value);
    private readonly long _barMs = (long)features.Value.BarInterval.TotalMilliseconds;
    private readonly long _toleranceMs = (long)features.Value.LateTolerance.TotalMilliseconds;

    // The tick last decoded for the alignment check, so Handle does not decode the same bytes again.
    private (ConsumeResult<byte[]?, byte[]>? Record, MarketTick? Tick) _decoded;

    /// <summary>
    /// For regime alignment: the event time of <paramref name="record"/> when it is a tick that may
    /// have to wait for its partition's regime updates, with that partition's state; null when it
    /// need not wait (a regime update, a partition not yet held, a record that will be
    /// dead-lettered: undecodable, or beyond the future bound, for which no update would ever come).
    /// </summary>
    public long? TickTimeToAlign(ConsumeResult<byte[]?, byte[]> record, out PartitionState? partition)
    {
        partition = null;
        if (
            record.Topic != _kafka.Topics.MarketTicks.Name
            || !owned.Partitions.TryGetValue(record.Partition.Value, out partition)
            || _placement.Check(record) is not null
        )
        {
            return null;
        }

        MarketTick tick;
        try
        {
            tick = DecodeTick(record);
        }
        catch (Exception)
        {
            // Whatever is wrong with it, Handle dead-letters it; there is nothing to wait for.
            return null;
        }

        var timeMs = new DateTimeOffset(tick.event_time, TimeSpan.Zero).ToUnixTimeMilliseconds();
        return timeMs > rules.FutureBound(partition.WatermarkMs) ? null : timeMs;
    }

    /// <summary>The symbol of the tick <see cref="TickTimeToAlign"/> last decoded.</summary>
    public string? AlignedSymbol => Contracts.Validation.SymbolName.Normalise(_decoded.Tick?.symbol ?? "");

    public void Handle(
        ConsumeResult<byte[]?, byte[]> record,
        IOutputTracker tracked,
        long consumedAt,
        CancellationToken cancellationToken
    )
    {
        var partition = owned[record.Partition.Value];
        var isTick = record.Topic == _kafka.Topics.MarketTicks.Name;
        var lastApplied = isTick ? partition.TicksOffset : partition.RegimesOffset;
        if (lastApplied >= 0 && record.Offset.Value <= lastApplied)
        {
            // Already applied to this state: the consumer went back (an offset reset to the log
            // start, a broker that lost its tail). Applying it again would count it twice.
            metrics.RecordReplaySkipped(record.Topic);
            IngestLog.RecordAlreadyApplied(
                logger,
                record.Topic,
                record.Partition.Value,
                record.Offset.Value,
                lastApplied
            );
            return;
        }

        if (isTick)
        {
            partition.TicksOffset = record.Offset.Value;
        }
        else
        {
            partition.RegimesOffset = record.Offset.Value;
            partition.RegimesAtEnd = false;
        }

        if (_placement.Check(record) is { } misplaced)
        {
            // Another partitioner put this key here: its state lives on another partition, so deciding
            // it here would use the wrong regime (or none). Refused, whatever the record holds.
            deadLetters.Send(record, misplaced.Reason, misplaced.Detail, tracked);
            return;
        }

        try
        {
            var refused = isTick
                ? HandleTick(record, tracked, consumedAt, partition, cancellationToken)
                : HandleRegime(record, partition);
            if (refused is { } rejection)
            {
                deadLetters.Send(record, rejection.Reason, rejection.Detail, tracked);
            }
        }
        catch (ContractDecodeException ex)
        {
            deadLetters.Send(record, ex.ReasonCode, ex.Message, tracked);
        }
    }

    /// <summary>
    /// Handling <paramref name="record"/> threw something no rule foresaw: dead-letter it as
    /// <c>processing-error</c> and go on. One record never stops the ingest loop.
    /// </summary>
    public void Failed(ConsumeResult<byte[]?, byte[]> record, IOutputTracker tracked, Exception exception)
    {
        metrics.RecordFailed();
        var detail = $"{exception.GetType().Name}: {exception.Message}";
        IngestLog.RecordFailed(
            logger,
            record.Topic,
            record.Partition.Value,
            record.Offset.Value,
            LogText.Quote(detail),
            exception
        );
        try
        {
            deadLetters.Send(record, DeadLetterReasons.ProcessingError, detail, tracked);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            PublishingLog.DeadLetterFailed(
                logger,
                record.Topic,
                record.Partition.Value,
                record.Offset.Value,
                DeadLetterReasons.ProcessingError,
                LogText.Quote(ex.Message)
            );
        }
    }

    private Rejection? HandleTick(
        ConsumeResult<byte[]?, byte[]> record,
        IOutputTracker tracked,
        long consumedAt,
        PartitionState partition,
        CancellationToken cancellationToken
    )
    {
        metrics.TickConsumed();
        var tick = DecodeTick(record);
        if (rules.Check(tick, partition.WatermarkMs, out var accepted) is { } refused)
        {
            return refused;
        }

        var (symbol, timeMs) = (accepted.Symbol, accepted.TimeMs);
        var state = owned.Live(partition, symbol);
        // A bar the partition's event time has already closed never opens: for a new symbol, and, while the book is
        // kept, for any symbol, since the partition has told the fleet that every bar ending there is decided.
        if (state is null || book.Enabled)
        {
            var bucketEnd = timeMs - (((timeMs % _barMs) + _barMs) % _barMs) + _barMs;
            if (partition.WatermarkMs != long.MinValue && bucketEnd + _toleranceMs <= partition.WatermarkMs)
            {
                return state is null
                    ? RecordRules.LateFirstTick(symbol, tick.event_time, partition.WatermarkMs)
                    : RecordRules.LateForPartition(symbol, tick.event_time, partition.WatermarkMs);
            }
        }

        if (state is null && (state = owned.Admit(partition, symbol, out var full)) is null)
        {
            return full;
        }

        state.Dirty = true;
        var outcome = state.Bars.Add(timeMs, accepted.Price, accepted.Size, out var closed);
        if (outcome == TickOutcome.Late)
        {
            return RecordRules.LateForBar(symbol, tick.event_time, timeMs, state.Bars);
        }

        partition.Advance(timeMs);
        if (state.Bars.OpenBar.Ticks == 1)
        {
            partition.TrackOpenBar(state, state.Bars.OpenBar.EndMs);
        }

        // Every bar this record closes, in bar-end then symbol order, the tick's own included: a bar's decision may
        // need the positions its partition left at the boundary before it.
        var due = partition.DueForClose(_toleranceMs);
        var own = outcome == TickOutcome.ClosedBar;
        foreach (var quiet in due)
        {
            var end = quiet.Bars.OpenBar.EndMs;
            if (own && (closed.EndMs < end || (closed.EndMs == end && string.CompareOrdinal(symbol, quiet.Symbol) < 0)))
            {
                bars.Close(partition, state, closed, record, tracked, consumedAt, cancellationToken);
                own = false;
            }

            if (quiet.Bars.TryCloseAt(partition.WatermarkMs, _toleranceMs, out var bar))
            {
                bars.Close(partition, quiet, bar, record, tracked, consumedAt, cancellationToken);
            }
        }

        if (own)
        {
            bars.Close(partition, state, closed, record, tracked, consumedAt, cancellationToken);
        }

        bars.Progress(partition, tracked, cancellationToken);
        return null;
    }

    private Rejection? HandleRegime(ConsumeResult<byte[]?, byte[]> record, PartitionState partition)
    {
        var update = _regimes.Deserialize(record.Message.Value ?? [], record.Topic);
        // Regime updates are read ahead of ticks (alignment holds ticks back), so the reference is
        // the later of the two inputs' event times.
        var reference = Math.Max(partition.WatermarkMs, partition.RegimeFrontierMs);
        if (rules.Check(update, reference, out var accepted) is { } refused)
        {
            return refused;
        }

        partition.RegimeFrontierMs = Math.Max(partition.RegimeFrontierMs, accepted.TimeMs);
        var state = owned.Live(partition, accepted.Symbol);
        if (state is null && (state = owned.Admit(partition, accepted.Symbol, out var full)) is null)
        {
            return full;
        }

        state.Dirty = true;
        state.AddRegime(accepted.TimeMs, accepted.Regime);
        return null;
    }

    private MarketTick DecodeTick(ConsumeResult<byte[]?, byte[]> record)
    {
        if (ReferenceEquals(_decoded.Record, record))
        {
            return _decoded.Tick!;
        }

        var tick = _ticks.Deserialize(record.Message.Value ?? [], record.Topic);
        _decoded = (record, tick);
        return tick;
    }
}
