using System.Text;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Features;
using Inference.Streaming.Worker.Inference;
using Inference.Streaming.Worker.Kafka;
using Inference.Streaming.Worker.Publishing;
using Inference.Streaming.Worker.Regimes;
using Inference.Streaming.Worker.Serving;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Pipeline;

/// <summary>
/// Turns one input record into state changes and closed-bar decision requests, on the ingest
/// thread. Bad input (undecodable, unknown schema, invalid values, ticks for closed bars) goes to
/// the dead-letter topic with its reason.
/// </summary>
public sealed class RecordHandler
{
    private readonly Dictionary<int, PartitionState> _partitions = [];
    private readonly ContractSerde<MarketTick> _ticks;
    private readonly ContractSerde<RegimeUpdate> _regimes;
    private readonly DecisionBatcher _batcher;
    private readonly DeadLetterPublisher _deadLetters;
    private readonly IStrategyWeights _weights;
    private readonly PipelineMetrics _metrics;
    private readonly ILogger<RecordHandler> _logger;
    private readonly SymbolDirectory _directory;
    private readonly InferenceTelemetry _telemetry;
    private readonly KafkaOptions _kafka;
    private readonly InferenceOptions _inference;
    private readonly long _barMs;

    // The tick last decoded for the alignment check, so Handle does not decode the same bytes again.
    private (ConsumeResult<byte[]?, byte[]>? Record, MarketTick? Tick) _decoded;
    private readonly long _toleranceMs;
    private readonly double _initialCapital;

    public RecordHandler(
        ISchemaRegistryClient registry,
        DecisionBatcher batcher,
        DeadLetterPublisher deadLetters,
        IStrategyWeights weights,
        PipelineMetrics metrics,
        IOptions<KafkaOptions> kafka,
        IOptions<FeatureOptions> features,
        IOptions<InferenceOptions> inference,
        SymbolDirectory directory,
        InferenceTelemetry telemetry,
        ILogger<RecordHandler> logger)
    {
        (_directory, _telemetry) = (directory, telemetry);
        _ticks = new ContractSerde<MarketTick>(registry);
        _regimes = new ContractSerde<RegimeUpdate>(registry);
        (_batcher, _deadLetters, _weights, _metrics, _logger) = (batcher, deadLetters, weights, metrics, logger);
        (_kafka, _inference) = (kafka.Value, inference.Value);
        _barMs = (long)features.Value.BarInterval.TotalMilliseconds;
        _toleranceMs = (long)features.Value.LateTolerance.TotalMilliseconds;
        _initialCapital = features.Value.InitialCapital;
    }

    /// <summary>The state of the partitions this worker owns, by partition number.</summary>
    public IReadOnlyDictionary<int, PartitionState> Partitions => _partitions;

    public void Assign(IEnumerable<int> partitions)
    {
        foreach (var partition in partitions)
        {
            if (!_partitions.ContainsKey(partition))
            {
                _partitions[partition] = new PartitionState(partition, _barMs, _initialCapital);
            }
        }
    }

    /// <summary>Installs a restored partition, replacing any state held for it.</summary>
    public void Install(PartitionState partition) => _partitions[partition.Partition] = partition;

    public void Revoke(IEnumerable<int> partitions)
    {
        var revoked = partitions.ToList();
        foreach (var partition in revoked)
        {
            _partitions.Remove(partition);
        }

        _directory.RemovePartitions(revoked);
    }

    /// <summary>
    /// Event-time alignment of the two inputs: a tick may be processed once the partition's regime
    /// updates have reached the start of its bucket (so every update for the bars it may close has
    /// been read), or, on a partition that has never carried an update, once the regime partition is
    /// read to its end. Decides with the bucket of the tick's time; undecodable records pass.
    /// </summary>
    public bool RegimesCaughtUp(ConsumeResult<byte[]?, byte[]> record)
    {
        if (record.Topic != _kafka.Topics.MarketTicks.Name || !_partitions.TryGetValue(record.Partition.Value, out var partition))
        {
            return true;
        }

        MarketTick tick;
        try
        {
            tick = DecodeTick(record);
        }
        catch (ContractDecodeException)
        {
            return true;
        }

        var timeMs = new DateTimeOffset(tick.event_time, TimeSpan.Zero).ToUnixTimeMilliseconds();
        var bucketStart = timeMs - (((timeMs % _barMs) + _barMs) % _barMs);
        return partition.RegimeFrontierMs == long.MinValue ? partition.RegimesAtEnd : partition.RegimeFrontierMs >= bucketStart;
    }

    /// <summary>The regime-updates partition <paramref name="partition"/> was read to its end.</summary>
    public void RegimesReadToEnd(int partition)
    {
        if (_partitions.TryGetValue(partition, out var state))
        {
            state.RegimesAtEnd = true;
        }
    }

    public void Handle(ConsumeResult<byte[]?, byte[]> record, TrackedRecord tracked, long consumedAt, CancellationToken cancellationToken)
    {
        if (!_partitions.TryGetValue(record.Partition.Value, out var partition))
        {
            Assign([record.Partition.Value]);
            partition = _partitions[record.Partition.Value];
        }

        if (record.Topic == _kafka.Topics.MarketTicks.Name)
        {
            partition.TicksOffset = record.Offset.Value;
        }
        else
        {
            partition.RegimesOffset = record.Offset.Value;
            partition.RegimesAtEnd = false;
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
                var update = _regimes.DeserializeAsync(record.Message.Value ?? [], record.Topic).GetAwaiter().GetResult();
                HandleRegime(record, tracked, partition, update);
            }
        }
        catch (ContractDecodeException ex)
        {
            _deadLetters.Send(record, ex.ReasonCode, ex.Message, tracked);
        }
    }

    private void HandleTick(ConsumeResult<byte[]?, byte[]> record, TrackedRecord tracked, long consumedAt, PartitionState partition, MarketTick tick, CancellationToken cancellationToken)
    {
        var symbol = NormaliseSymbol(tick.symbol);
        if (symbol is null)
        {
            _deadLetters.Send(record, "invalid-tick", $"symbol '{tick.symbol}' must be 1–20 non-blank characters", tracked);
            return;
        }

        if (!double.IsFinite(tick.price) || tick.price <= 0 || !double.IsFinite(tick.size) || tick.size < 0)
        {
            _deadLetters.Send(record, "invalid-tick", FormattableString.Invariant($"price {tick.price} must be finite and positive, size {tick.size} finite and not negative"), tracked);
            return;
        }

        var state = partition.GetOrAdd(symbol);
        state.Dirty = true;
        var timeMs = new DateTimeOffset(tick.event_time, TimeSpan.Zero).ToUnixTimeMilliseconds();
        var outcome = state.Bars.Add(timeMs, tick.price, tick.size, out var closed);
        if (outcome == TickOutcome.Late)
        {
            _deadLetters.Send(record, "late-tick", FormattableString.Invariant($"tick at {tick.event_time:O} is for a bar of {symbol} that closed at {DateTimeOffset.FromUnixTimeMilliseconds(state.Bars.ClosedUntilMs):O}"), tracked);
            return;
        }

        partition.Advance(timeMs);
        var traceParent = TraceParentOf(record);
        if (outcome == TickOutcome.ClosedBar)
        {
            CloseBar(state, closed, record, tracked, consumedAt, traceParent, cancellationToken);
        }

        if (state.Bars.OpenBar.Ticks == 1)
        {
            partition.TrackOpenBar(state, state.Bars.OpenBar.EndMs);
        }

        foreach (var quiet in partition.DueForClose(_toleranceMs))
        {
            if (quiet.Bars.TryCloseAt(partition.WatermarkMs, _toleranceMs, out var bar))
            {
                CloseBar(quiet, bar, record, tracked, consumedAt, traceParent, cancellationToken);
            }
        }
    }

    private void HandleRegime(ConsumeResult<byte[]?, byte[]> record, TrackedRecord tracked, PartitionState partition, RegimeUpdate update)
    {
        partition.RegimeFrontierMs = Math.Max(partition.RegimeFrontierMs, new DateTimeOffset(update.event_time, TimeSpan.Zero).ToUnixTimeMilliseconds());
        var symbol = NormaliseSymbol(update.symbol);
        var regime = RegimeState.TryCreate(update.bull, update.bear, update.sideways, update.entropy, out var problem);
        if (symbol is null || regime is null)
        {
            _deadLetters.Send(record, "invalid-regime", problem ?? $"symbol '{update.symbol}' must be 1–20 non-blank characters", tracked);
            return;
        }

        var state = partition.GetOrAdd(symbol);
        state.Dirty = true;
        state.AddRegime(new DateTimeOffset(update.event_time, TimeSpan.Zero).ToUnixTimeMilliseconds(), regime.Value);
    }

    private void CloseBar(SymbolState state, Bar bar, ConsumeResult<byte[]?, byte[]> record, TrackedRecord tracked, long consumedAt, string? traceParent, CancellationToken cancellationToken)
    {
        // The next observation needs the portfolio after the previous decision of this symbol.
        try
        {
            state.PendingDecision.Wait(cancellationToken);
        }
        catch (AggregateException)
        {
            // That decision failed and was logged; its record keeps its offset unstored.
        }

        _metrics.BarClosed();
        state.Dirty = true;
        state.ApplyRegimesBefore(bar.EndMs);
        var features = state.Observe(bar);
        var portfolio = state.Portfolio;
        _directory.Publish(new ObservationSnapshot(state.Symbol, record.Partition.Value, bar, features, state.Regime, portfolio.Cash, portfolio.Shares, portfolio.InitialCapital, portfolio.Day, portfolio.DayOpenValue));
        var weights = _weights.WeightsFor(state.Regime);
        var strategy = _inference.SymbolSelection.TryGetValue(state.Symbol, out var chosen) ? chosen : _inference.Selection;
        tracked.AddPending(2);
        var activity = _telemetry.StartDecision(_kafka.Topics.TradingDecisions.Name, state.Symbol, traceParent);
        var request = new DecisionRequest
        {
            Symbol = state,
            Bar = bar,
            Features = features,
            Regime = state.Regime,
            Weights = weights,
            Strategy = strategy,
            Plan = DecisionPolicy.Plan(strategy, weights),
            Input = new InputPosition { topic = record.Topic, partition = record.Partition.Value, offset = record.Offset.Value },
            ConsumedAt = consumedAt,
            TraceParent = activity?.Id ?? traceParent,
            Activity = activity,
            Source = tracked,
        };
        state.PendingDecision = _batcher.Enqueue(request, cancellationToken);
    }

    private MarketTick DecodeTick(ConsumeResult<byte[]?, byte[]> record)
    {
        if (ReferenceEquals(_decoded.Record, record))
        {
            return _decoded.Tick!;
        }

        var tick = _ticks.DeserializeAsync(record.Message.Value ?? [], record.Topic).GetAwaiter().GetResult();
        _decoded = (record, tick);
        return tick;
    }

    private static string? NormaliseSymbol(string? symbol)
    {
        var trimmed = symbol?.Trim();
        return string.IsNullOrEmpty(trimmed) || trimmed.Length > 20 ? null : trimmed.ToUpperInvariant();
    }

    private static string? TraceParentOf(ConsumeResult<byte[]?, byte[]> record) =>
        record.Message.Headers is { } headers && headers.TryGetLastBytes("traceparent", out var bytes) ? Encoding.UTF8.GetString(bytes) : null;
}
