using System.Text;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Contracts.Validation;
using Inference.Streaming.Engine.Decisions;
using Inference.Streaming.Engine.Diagnostics;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Engine.Regimes;
using Inference.Streaming.Engine.Risk;
using Inference.Streaming.Worker.Decisions;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Experiments;
using Inference.Streaming.Worker.Kafka;
using Inference.Streaming.Worker.Publishing;
using Inference.Streaming.Worker.Regimes;
using Inference.Streaming.Worker.State;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Ingest;

/// <summary>
/// Turns one input record into state changes and closed-bar decision requests, on the ingest
/// thread. Bad input (undecodable, unknown schema, invalid values, ticks for closed bars) goes to
/// the dead-letter topic with its reason.
/// </summary>
public sealed class RecordHandler
{
    private readonly Dictionary<int, PartitionState> _partitions = [];
    private readonly ContractSerde<MarketTick> _ticks;
    private readonly StreamRegimes? _regimeSource;
    private readonly ExperimentArms? _experiments;
    private readonly ContractSerde<RegimeUpdate> _regimes;
    private readonly IDecisionIntake _decisions;
    private readonly IDeadLetterSink _deadLetters;
    private readonly DecisionFunction _rules;
    private readonly PipelineMetrics _metrics;
    private readonly ILogger<RecordHandler> _logger;
    private readonly IObservationSink _directory;
    private readonly InferenceTelemetry _telemetry;
    private readonly KafkaOptions _kafka;
    private readonly long _barMs;

    // The tick last decoded for the alignment check, so Handle does not decode the same bytes again.
    private (ConsumeResult<byte[]?, byte[]>? Record, MarketTick? Tick) _decoded;
    private readonly long _toleranceMs;
    private readonly double _initialCapital;
    private readonly long _skewMs;
    private readonly bool _wallClock;
    private readonly int _maxSymbols;
    private readonly long _idleMs;
    private readonly TimeProvider _time;
    private int _symbolCount;
    private readonly long _minEventMs;
    private readonly SectorMap _sectors;

    /// <summary>Prices outside this range are refused: inside it no portfolio or feature arithmetic
    /// overflows.</summary>
    public const double MinPrice = 1e-9,
        MaxPrice = 1e12,
        MaxSize = 1e15;

    public RecordHandler(
        ISchemaRegistryClient registry,
        IDecisionIntake decisions,
        IDeadLetterSink deadLetters,
        DecisionFunction rules,
        PipelineMetrics metrics,
        IOptions<KafkaOptions> kafka,
        IOptions<FeatureOptions> features,
        IObservationSink directory,
        InferenceTelemetry telemetry,
        TimeProvider time,
        ILogger<RecordHandler> logger,
        SectorMap sectors,
        StreamRegimes? regimes = null,
        ExperimentArms? experiments = null
    )
    {
        _regimeSource = regimes;
        _experiments = experiments;
        _sectors = sectors;
        _time = time;
        (_directory, _telemetry) = (directory, telemetry);
        _ticks = new ContractSerde<MarketTick>(registry);
        _regimes = new ContractSerde<RegimeUpdate>(registry);
        (_decisions, _deadLetters, _rules, _metrics, _logger) = (decisions, deadLetters, rules, metrics, logger);
        _kafka = kafka.Value;
        _barMs = (long)features.Value.BarInterval.TotalMilliseconds;
        _toleranceMs = (long)features.Value.LateTolerance.TotalMilliseconds;
        _initialCapital = features.Value.InitialCapital;
        _skewMs = (long)features.Value.MaxEventTimeSkew.TotalMilliseconds;
        _wallClock = features.Value.EventTimeReference != EventTimeReference.Watermark;
        _maxSymbols = features.Value.MaxSymbols;
        _idleMs = (long)features.Value.SymbolIdleTimeout.TotalMilliseconds;
        _minEventMs = features.Value.MinEventTime.ToUnixTimeMilliseconds();
    }

    /// <summary>The state of the partitions this worker owns, by partition number.</summary>
    public IReadOnlyDictionary<int, PartitionState> Partitions => _partitions;

    public void Assign(IEnumerable<int> partitions)
    {
        foreach (var partition in partitions)
        {
            if (!_partitions.ContainsKey(partition))
            {
                _partitions[partition] = new PartitionState(partition, _barMs, _initialCapital, _sectors);
            }
        }
    }

    /// <summary>Installs a restored partition, replacing any state held for it.</summary>
    public void Install(PartitionState partition)
    {
        _partitions[partition.Partition] = partition;
        Recount();
    }

    public void Revoke(IEnumerable<int> partitions)
    {
        var revoked = partitions.ToList();
        foreach (var partition in revoked)
        {
            // Another worker decides these symbols now: their paper P&L is no longer this worker's to report.
            if (_partitions.Remove(partition, out var state) && _experiments is not null)
            {
                foreach (var symbol in state.Symbols.Keys)
                {
                    _experiments.Forget(symbol);
                }
            }
        }

        _directory.RemovePartitions(revoked);
        Recount();
    }

    /// <summary>Evicts every partition's idle symbols (at checkpoints; a returning symbol would start fresh
    /// anyway).</summary>
    public void EvictIdle()
    {
        foreach (var partition in _partitions.Values)
        {
            var evicted = partition.EvictIdle(_idleMs);
            if (evicted.Count > 0)
            {
                foreach (var symbol in evicted)
                {
                    _directory.Remove(symbol.Symbol);
                    _experiments?.Forget(symbol.Symbol);
                }

                _metrics.SymbolsEvicted(evicted.Count);
                Log.SymbolsEvicted(_logger, evicted.Count, partition.Partition);
            }
        }

        Recount();
    }

    private void Recount()
    {
        _symbolCount = 0;
        foreach (var partition in _partitions.Values)
        {
            _symbolCount += partition.Symbols.Count;
        }

        _metrics.LiveSymbols(_symbolCount);
    }

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
            || !_partitions.TryGetValue(record.Partition.Value, out partition)
        )
        {
            return null;
        }

        if (ExpectedPartition(record) is not null)
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
        return timeMs > FutureBound(partition.WatermarkMs) ? null : timeMs;
    }

    public void Handle(
        ConsumeResult<byte[]?, byte[]> record,
        IOutputTracker tracked,
        long consumedAt,
        CancellationToken cancellationToken
    )
    {
        if (!_partitions.TryGetValue(record.Partition.Value, out var partition))
        {
            Assign([record.Partition.Value]);
            partition = _partitions[record.Partition.Value];
        }

        var isTick = record.Topic == _kafka.Topics.MarketTicks.Name;
        var lastApplied = isTick ? partition.TicksOffset : partition.RegimesOffset;
        if (lastApplied >= 0 && record.Offset.Value <= lastApplied)
        {
            // Already applied to this state: the consumer went back (an offset reset to the log
            // start, a broker that lost its tail). Applying it again would count it twice.
            _metrics.RecordReplaySkipped(record.Topic);
            Log.RecordAlreadyApplied(_logger, record.Topic, record.Partition.Value, record.Offset.Value, lastApplied);
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

        if (ExpectedPartition(record) is { } expected)
        {
            // Another partitioner put this key here: its state lives on another partition, so deciding
            // it here would use the wrong regime (or none). Refused, whatever the record holds.
            _deadLetters.Send(
                record,
                DeadLetterReasons.WrongPartition,
                $"key {LogText.Quote(Encoding.UTF8.GetString(record.Message.Key!))} belongs on partition {expected} "
                    + $"of {record.Topic}'s {PartitionCount(record.Topic)} by Kafka:Partitioner "
                    + $"({_kafka.Partitioner}), not {record.Partition.Value}: its producer hashes keys another way "
                    + "(librdkafka's default is consistent_random; set partitioner=murmur2_random)",
                tracked
            );
            return;
        }

        try
        {
            if (record.Topic == _kafka.Topics.MarketTicks.Name)
            {
                _metrics.TickConsumed();
                var tick = DecodeTick(record);
                HandleTick(record, tracked, consumedAt, partition, tick, cancellationToken);
            }
            else
            {
                var update = _regimes.Deserialize(record.Message.Value ?? [], record.Topic);
                HandleRegime(record, tracked, partition, update);
            }
        }
        catch (ContractDecodeException ex)
        {
            _deadLetters.Send(record, ex.ReasonCode, ex.Message, tracked);
        }
    }

    /// <summary>
    /// Handling <paramref name="record"/> threw something no rule foresaw: dead-letter it as
    /// <c>processing-error</c> and go on. One record never stops the ingest loop.
    /// </summary>
    public void Failed(ConsumeResult<byte[]?, byte[]> record, IOutputTracker tracked, Exception exception)
    {
        _metrics.RecordFailed();
        Log.RecordFailed(
            _logger,
            record.Topic,
            record.Partition.Value,
            record.Offset.Value,
            LogText.Quote($"{exception.GetType().Name}: {exception.Message}"),
            exception
        );
        try
        {
            _deadLetters.Send(
                record,
                DeadLetterReasons.ProcessingError,
                $"{exception.GetType().Name}: {exception.Message}",
                tracked
            );
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.DeadLetterFailed(
                _logger,
                record.Topic,
                record.Partition.Value,
                record.Offset.Value,
                DeadLetterReasons.ProcessingError,
                LogText.Quote(ex.Message)
            );
        }
    }

    private void HandleTick(
        ConsumeResult<byte[]?, byte[]> record,
        IOutputTracker tracked,
        long consumedAt,
        PartitionState partition,
        MarketTick tick,
        CancellationToken cancellationToken
    )
    {
        var symbol = SymbolName.Normalise(tick.symbol);
        if (symbol is null)
        {
            DeadLetter(
                record,
                DeadLetterReasons.InvalidTick,
                $"symbol '{LogText.Quote(tick.symbol)}' must be {SymbolName.Rule}",
                tracked
            );
            return;
        }

        if (
            !double.IsFinite(tick.price)
            || tick.price < MinPrice
            || tick.price > MaxPrice
            || !double.IsFinite(tick.size)
            || tick.size < 0
            || tick.size > MaxSize
        )
        {
            DeadLetter(
                record,
                DeadLetterReasons.InvalidTick,
                FormattableString.Invariant(
                    $"price {tick.price} must be finite and in [{MinPrice}, {MaxPrice}], size {tick.size} finite and "
                ) + FormattableString.Invariant($"in [0, {MaxSize}]"),
                tracked
            );
            return;
        }

        var timeMs = new DateTimeOffset(tick.event_time, TimeSpan.Zero).ToUnixTimeMilliseconds();
        if (timeMs < _minEventMs)
        {
            DeadLetter(
                record,
                DeadLetterReasons.InvalidTick,
                FormattableString.Invariant($"tick of {symbol} at {tick.event_time:O} is before Features:MinEventTime ")
                    + FormattableString.Invariant($"({DateTimeOffset.FromUnixTimeMilliseconds(_minEventMs):O})"),
                tracked
            );
            return;
        }

        if (timeMs > FutureBound(partition.WatermarkMs))
        {
            DeadLetter(
                record,
                DeadLetterReasons.FutureEvent,
                FutureDetail("tick", symbol, tick.event_time, partition.WatermarkMs),
                tracked
            );
            return;
        }

        var state = Live(partition, symbol);
        if (state is null)
        {
            var bucketEnd = timeMs - (((timeMs % _barMs) + _barMs) % _barMs) + _barMs;
            if (partition.WatermarkMs != long.MinValue && bucketEnd + _toleranceMs <= partition.WatermarkMs)
            {
                DeadLetter(
                    record,
                    DeadLetterReasons.LateTick,
                    FormattableString.Invariant(
                        $"first tick of {symbol} at {tick.event_time:O} is for a bar the partition's event time "
                    )
                        + FormattableString.Invariant(
                            $"({DateTimeOffset.FromUnixTimeMilliseconds(partition.WatermarkMs):O}) has already closed"
                        ),
                    tracked
                );
                return;
            }

            if ((state = Admit(partition, symbol, record, tracked)) is null)
            {
                return;
            }
        }

        state.Dirty = true;
        var outcome = state.Bars.Add(timeMs, tick.price, tick.size, out var closed);
        if (outcome == TickOutcome.Late)
        {
            // Late against a closed bar, or older than the symbol's open bar when none has closed yet (bars never
            // reopen).
            var detail =
                state.Bars.ClosedUntilMs > timeMs
                    ? FormattableString.Invariant(
                        $"tick at {tick.event_time:O} is for a bar of {symbol} that closed at "
                    )
                        + FormattableString.Invariant(
                            $"{DateTimeOffset.FromUnixTimeMilliseconds(state.Bars.ClosedUntilMs):O}"
                        )
                    : FormattableString.Invariant(
                        $"tick at {tick.event_time:O} is older than the open bar of {symbol}, which starts at "
                    )
                        + FormattableString.Invariant(
                            $"{DateTimeOffset.FromUnixTimeMilliseconds(state.Bars.OpenBar.StartMs):O}"
                        );
            DeadLetter(record, DeadLetterReasons.LateTick, detail, tracked);
            return;
        }

        partition.Advance(timeMs);
        var traceParent = TraceParentOf(record);
        if (outcome == TickOutcome.ClosedBar)
        {
            CloseBar(partition, state, closed, record, tracked, consumedAt, traceParent, cancellationToken);
        }

        if (state.Bars.OpenBar.Ticks == 1)
        {
            partition.TrackOpenBar(state, state.Bars.OpenBar.EndMs);
        }

        foreach (var quiet in partition.DueForClose(_toleranceMs))
        {
            if (quiet.Bars.TryCloseAt(partition.WatermarkMs, _toleranceMs, out var bar))
            {
                CloseBar(partition, quiet, bar, record, tracked, consumedAt, traceParent, cancellationToken);
            }
        }
    }

    private void HandleRegime(
        ConsumeResult<byte[]?, byte[]> record,
        IOutputTracker tracked,
        PartitionState partition,
        RegimeUpdate update
    )
    {
        var symbol = SymbolName.Normalise(update.symbol);
        if (symbol is null)
        {
            DeadLetter(
                record,
                DeadLetterReasons.InvalidRegime,
                $"symbol '{LogText.Quote(update.symbol)}' must be {SymbolName.Rule}",
                tracked
            );
            return;
        }

        var regime = RegimeState.TryCreate(update.bull, update.bear, update.sideways, update.entropy, out var problem);
        if (regime is null)
        {
            DeadLetter(record, DeadLetterReasons.InvalidRegime, $"{symbol}: {problem}", tracked);
            return;
        }

        // Regime updates are read ahead of ticks (alignment holds ticks back), so the reference is
        // the later of the two inputs' event times.
        var timeMs = new DateTimeOffset(update.event_time, TimeSpan.Zero).ToUnixTimeMilliseconds();
        if (timeMs < _minEventMs)
        {
            DeadLetter(
                record,
                DeadLetterReasons.InvalidRegime,
                FormattableString.Invariant(
                    $"regime update of {symbol} at {update.event_time:O} is before Features:MinEventTime "
                ) + FormattableString.Invariant($"({DateTimeOffset.FromUnixTimeMilliseconds(_minEventMs):O})"),
                tracked
            );
            return;
        }

        var reference = Math.Max(partition.WatermarkMs, partition.RegimeFrontierMs);
        if (timeMs > FutureBound(reference))
        {
            DeadLetter(
                record,
                DeadLetterReasons.FutureEvent,
                FutureDetail("regime update", symbol, update.event_time, reference),
                tracked
            );
            return;
        }

        partition.RegimeFrontierMs = Math.Max(partition.RegimeFrontierMs, timeMs);
        var state = Live(partition, symbol) ?? Admit(partition, symbol, record, tracked);
        if (state is not null)
        {
            state.Dirty = true;
            state.AddRegime(timeMs, regime.Value);
        }
    }

    /// <summary>
    /// The symbol's state, or null when it has none, including when it has been idle past
    /// Features:SymbolIdleTimeout: then it is evicted here and starts fresh, exactly as if a
    /// checkpoint had evicted it already, so restarts do not change what it decides.
    /// </summary>
    private SymbolState? Live(PartitionState partition, string symbol)
    {
        if (!partition.Symbols.TryGetValue(symbol, out var state))
        {
            return null;
        }

        if (!partition.IsIdle(state, _idleMs))
        {
            return state;
        }

        partition.Evict(state);
        _directory.Remove(symbol);
        _experiments?.Forget(symbol);
        _metrics.SymbolsEvicted(1);
        _symbolCount--;
        return null;
    }

    /// <summary>A new symbol's state, or null (dead-lettered as symbol-limit) when the worker holds
    /// Features:MaxSymbols.</summary>
    private SymbolState? Admit(
        PartitionState partition,
        string symbol,
        ConsumeResult<byte[]?, byte[]> record,
        IOutputTracker tracked
    )
    {
        if (_symbolCount >= _maxSymbols)
        {
            DeadLetter(
                record,
                DeadLetterReasons.SymbolLimit,
                $"new symbol {symbol}: this worker already holds {_symbolCount} symbols (Features:MaxSymbols)",
                tracked
            );
            return null;
        }

        _symbolCount++;
        _metrics.LiveSymbols(_symbolCount);
        return partition.GetOrAdd(symbol);
    }

    /// <summary>The latest event time accepted on a partition whose watermark is
    /// <paramref name="watermarkMs"/>.</summary>
    private long FutureBound(long watermarkMs)
    {
        var reference = _wallClock ? Math.Max(watermarkMs, _time.GetUtcNow().ToUnixTimeMilliseconds()) : watermarkMs;
        return reference == long.MinValue ? long.MaxValue : reference + _skewMs;
    }

    private string FutureDetail(string what, string symbol, DateTime eventTime, long referenceMs) =>
        FormattableString.Invariant($"{what} of {symbol} at {eventTime:O} is more than Features:MaxEventTimeSkew ")
        + FormattableString.Invariant($"({TimeSpan.FromMilliseconds(_skewMs)}) ahead of ")
        + (_wallClock ? "the later of the partition's event time and the wall clock" : "the partition's event time")
        + " ("
        + (
            referenceMs == long.MinValue
                ? "none yet"
                : DateTimeOffset
                    .FromUnixTimeMilliseconds(referenceMs)
                    .ToString("O", System.Globalization.CultureInfo.InvariantCulture)
        )
        + ")";

    private void DeadLetter(
        ConsumeResult<byte[]?, byte[]> record,
        string reason,
        string detail,
        IOutputTracker tracked
    ) => _deadLetters.Send(record, reason, detail, tracked);

    private void CloseBar(
        PartitionState partition,
        SymbolState state,
        Bar bar,
        ConsumeResult<byte[]?, byte[]> record,
        IOutputTracker tracked,
        long consumedAt,
        string? traceParent,
        CancellationToken cancellationToken
    )
    {
        // The next observation needs the portfolio after the previous decision of this symbol.
        state.Settle(Timeout.InfiniteTimeSpan, cancellationToken);

        _metrics.BarClosed();
        state.Dirty = true;
        state.ApplyRegimesBefore(bar.EndMs);
        var features = state.Observe(bar);
        var detector = _regimeSource?.Detect(state);
        var portfolio = state.Portfolio;
        var book = partition.EnterBook(state, new BookEntry(portfolio.Cash, portfolio.Shares, bar.Close));
        _directory.Publish(
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
                Book = book,
            }
        );
        var route = _rules.Route(state.Symbol, state.Regime);
        var shadow =
            _experiments?.Mode == ExperimentMode.Shadow
                ? new ShadowRequest
                {
                    Features = state.ObserveShadow(bar),
                    Portfolio = state.ShadowPortfolio!,
                    Book = book,
                }
                : null;
        var arm = _experiments?.LiveArm(state.Symbol) ?? ModelRole.Champion;
        if (_experiments is { IsOn: true } experiments)
        {
            experiments.MarkPnl(ExperimentArms.Name(arm), state.Symbol, portfolio, bar.Close);
            if (shadow is not null)
            {
                experiments.MarkPnl(ExperimentArms.Challenger, state.Symbol, shadow.Portfolio, bar.Close);
            }
        }

        // A decision and its forensics, and the challenger's two in a shadow experiment.
        tracked.AddPending(shadow is null ? 2 : 4);
        var activity = _telemetry.StartDecision(
            record.TopicPartitionOffset,
            _kafka.Topics.TradingDecisions.Name,
            state.Symbol,
            traceParent
        );
        var request = new DecisionRequest
        {
            Symbol = state,
            Bar = bar,
            Features = features,
            Regime = state.Regime,
            RegimeDetector = detector,
            Weights = route.Weights,
            Strategy = route.Strategy,
            Plan = route.Plan,
            Arm = arm,
            Shadow = shadow,
            Book = book,
            Input = new InputPosition
            {
                topic = record.Topic,
                partition = record.Partition.Value,
                offset = record.Offset.Value,
            },
            ConsumedAt = consumedAt,
            TraceParent = activity?.Id ?? traceParent,
            Activity = activity,
            Source = tracked,
        };
        state.Await(_decisions.Enqueue(request, cancellationToken), bar.Close, shadow?.Completion.Task);
    }

    /// <summary>The partition <c>Kafka:Partitioner</c> gives the record's key when it is not the one it was read
    /// from; null when it is right (or the record has no key, which the decoder refuses anyway).</summary>
    private int? ExpectedPartition(ConsumeResult<byte[]?, byte[]> record)
    {
        if (record.Message.Key is not { Length: > 0 } key)
        {
            return null;
        }

        var expected = KeyPartitioner.PartitionOf(_kafka.Partitioner, key, PartitionCount(record.Topic));
        return expected == record.Partition.Value ? null : expected;
    }

    private int PartitionCount(string topic) =>
        topic == _kafka.Topics.MarketTicks.Name
            ? _kafka.Topics.MarketTicks.Partitions
            : _kafka.Topics.RegimeUpdates.Partitions;

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

    private static string? TraceParentOf(ConsumeResult<byte[]?, byte[]> record) =>
        record.Message.Headers is { } headers && headers.TryGetLastBytes("traceparent", out var bytes)
            ? Encoding.UTF8.GetString(bytes)
            : null;
}
