using System.Diagnostics.Metrics;
using Inference.Streaming.Contracts.Events;

namespace Inference.Streaming.Worker.Diagnostics;

/// <summary>
/// Stream metrics through one <see cref="Meter"/> (exported by OpenTelemetry), plus the running
/// totals behind the periodic summary line.
/// </summary>
public sealed class PipelineMetrics
{
    public const string MeterName = "Inference.Streaming.Pipeline";
    private const int LatencySamples = 4096;

    private readonly Counter<long> _decisions;
    private readonly Counter<long> _deadLetters;
    private readonly Counter<long> _deadLettersFailed;
    private readonly Counter<long> _decisionFailures;
    private readonly Counter<long> _symbolsEvicted;
    private readonly Counter<long> _recordsFailed;
    private readonly Counter<long> _offsetResets;
    private readonly Counter<long> _stateRestoresIncomplete;
    private readonly Counter<long> _replaysSkipped;
    private long _liveSymbols;
    private readonly Histogram<int> _batchSize;
    private readonly Counter<long> _kafkaErrors;
    private long _producerRetries;
    private readonly Histogram<double> _inferenceSeconds;
    private readonly Histogram<double> _tickToDecisionSeconds;
    private readonly Histogram<double> _stageSeconds;
    private readonly double[] _latencies = new double[LatencySamples];
    private readonly Lock _gate = new();
    private long _latencyCount;
    private long _tickTotal;
    private long _barTotal;
    private long _batchTotal;
    private long _batchedRows;
    private long _deadLetterTotal;
    private readonly long[] _actions = new long[3];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Topic, int Partition), long> _lag =
        new();
    private double _ingestAge = double.NaN;
    private int _ingestStalled;
    private static readonly double[] StageBuckets =
    [
        0.00005,
        0.0001,
        0.00025,
        0.0005,
        0.001,
        0.0025,
        0.005,
        0.01,
        0.025,
        0.05,
        0.1,
        0.25,
        0.5,
        1,
        2.5,
        5,
    ];
    private static readonly KeyValuePair<string, object?>[] Stages =
    [
        new("stage", "handle"),
        new("stage", "queue"),
        new("stage", "forward"),
        new("stage", "publish"),
        new("stage", "acknowledge"),
    ];
    private static readonly double[] SecondsBuckets =
    [
        0.0005,
        0.001,
        0.0025,
        0.005,
        0.01,
        0.025,
        0.05,
        0.1,
        0.25,
        0.5,
        1,
        2.5,
        5,
    ];
    private static readonly int[] BatchBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

    public PipelineMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        // Counted for every tick on the ingest thread: a plain total that a scrape reads, rather than a trip
        // through the metrics pipeline's aggregator per tick (1.7% of the ingest thread's profile samples).
        meter.CreateObservableCounter(
            "inference_ticks_consumed",
            () => Interlocked.Read(ref _tickTotal),
            "{tick}",
            "Market ticks consumed"
        );
        meter.CreateObservableCounter(
            "inference_bars_closed",
            () => Interlocked.Read(ref _barTotal),
            "{bar}",
            "Bars closed"
        );
        _decisions = meter.CreateCounter<long>("inference_decisions", "{decision}", "Decisions published, by action");
        _deadLetters = meter.CreateCounter<long>(
            "inference_dead_letters",
            "{record}",
            "Records sent to the dead-letter topic, by reason"
        );
        _deadLettersFailed = meter.CreateCounter<long>(
            "inference_dead_letters_failed",
            "{record}",
            "Dead letters that could not be delivered even truncated, by reason; the record was skipped"
        );
        _decisionFailures = meter.CreateCounter<long>(
            "inference_decision_failures",
            "{bar}",
            "Closed bars no model could decide, by reason; each is dead-lettered as decision-failed"
        );
        _symbolsEvicted = meter.CreateCounter<long>(
            "inference_symbols_evicted",
            "{symbol}",
            "Symbols whose state left memory after Features:SymbolIdleTimeout"
        );
        _recordsFailed = meter.CreateCounter<long>(
            "inference_records_failed",
            "{record}",
            "Input records whose handling threw; each is dead-lettered as processing-error"
        );
        meter.CreateObservableGauge(
            "inference_symbols",
            () => Interlocked.Read(ref _liveSymbols),
            "{symbol}",
            "Symbols held in memory by this worker (Features:MaxSymbols caps it)"
        );
        _batchSize = meter.CreateHistogram(
            "inference_batch_size",
            "{row}",
            "Rows per inference batch",
            null,
            new InstrumentAdvice<int> { HistogramBucketBoundaries = BatchBuckets }
        );
        _inferenceSeconds = meter.CreateHistogram(
            "inference_batch_duration",
            "s",
            "Model time per batch",
            null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets }
        );
        _tickToDecisionSeconds = meter.CreateHistogram(
            "inference_tick_to_decision_duration",
            "s",
            "From consuming the tick that closed a bar to the decision being acknowledged",
            null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets }
        );
        _stageSeconds = meter.CreateHistogram(
            "inference_stage_duration",
            "s",
            "Time a decision spent in each stage from the tick that closed its bar to its acknowledgement (handle, "
                + "queue, forward, publish, acknowledge; they add up to tick-to-decision)",
            null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = StageBuckets }
        );
        meter.CreateObservableGauge(
            "inference_consumer_lag",
            ObserveLag,
            "{message}",
            "Messages behind the end of each input partition: the brokers' high watermark less the ingest loop's "
                + "position, measured every 2 s from outside the loop"
        );
        meter.CreateObservableGauge(
            "inference_ingest_stalled",
            () => Volatile.Read(ref _ingestStalled),
            null,
            "1 while the ingest loop has not turned for Diagnostics:IngestStallTimeout with records waiting"
        );
        meter.CreateObservableGauge(
            "inference_ingest_heartbeat_age",
            ObserveIngestAge,
            "s",
            "Time since the ingest loop's last turn (it turns at least every 100 ms while it runs)"
        );
        _kafkaErrors = meter.CreateCounter<long>(
            "inference_kafka_errors",
            "{error}",
            "Errors reported by the Kafka clients, by code"
        );
        _offsetResets = meter.CreateCounter<long>(
            "inference_offset_resets",
            "{partition}",
            "Input partitions whose next offset the broker no longer held (removed by retention), so reading resumed "
                + "at the log start, by topic"
        );
        _replaysSkipped = meter.CreateCounter<long>(
            "inference_records_already_applied",
            "{record}",
            "Input records read again at or below the last offset applied to their partition's state (after an "
                + "offset reset backwards), skipped, by topic"
        );
        _stateRestoresIncomplete = meter.CreateCounter<long>(
            "inference_state_restores_incomplete",
            "{partition}",
            "State partitions restored from a changelog that no longer reached back one State:RefreshInterval, by topic"
        );
        meter.CreateObservableCounter(
            "inference_producer_retries",
            () => Interlocked.Read(ref _producerRetries),
            "{request}",
            "Produce requests retried by the producer (librdkafka statistics)"
        );
    }

    public void TickConsumed() => Interlocked.Increment(ref _tickTotal);

    public void BarClosed() => Interlocked.Increment(ref _barTotal);

    public void DeadLettered(string reason)
    {
        _deadLetters.Add(1, new KeyValuePair<string, object?>("reason", reason));
        Interlocked.Increment(ref _deadLetterTotal);
    }

    public void DeadLetterFailed(string reason) =>
        _deadLettersFailed.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void DecisionFailed(string reason) =>
        _decisionFailures.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void RecordFailed() => _recordsFailed.Add(1);

    public void OffsetReset(string topic) => _offsetResets.Add(1, new KeyValuePair<string, object?>("topic", topic));

    public void RecordReplaySkipped(string topic) =>
        _replaysSkipped.Add(1, new KeyValuePair<string, object?>("topic", topic));

    public void StateRestoreIncomplete(string topic) =>
        _stateRestoresIncomplete.Add(1, new KeyValuePair<string, object?>("topic", topic));

    public void SymbolsEvicted(int count) => _symbolsEvicted.Add(count);

    public void LiveSymbols(long count) => Interlocked.Exchange(ref _liveSymbols, count);

    /// <summary>Total consumer lag over the assigned input partitions, as the watchdog last measured it.</summary>
    public long TotalLag()
    {
        long total = 0;
        foreach (var lag in _lag.Values)
        {
            total += lag;
        }

        return total;
    }

    public void RecordBatch(int rows, double inferenceMs)
    {
        _batchSize.Record(rows);
        _inferenceSeconds.Record(inferenceMs / 1000.0);
        Interlocked.Increment(ref _batchTotal);
        Interlocked.Add(ref _batchedRows, rows);
    }

    public void DecisionAcknowledged(TradeAction action, double tickToDecisionMs)
    {
        _decisions.Add(1, new KeyValuePair<string, object?>("action", action.ToString()));
        _tickToDecisionSeconds.Record(tickToDecisionMs / 1000.0);
        Interlocked.Increment(ref _actions[(int)action]);
        lock (_gate)
        {
            _latencies[_latencyCount++ % LatencySamples] = tickToDecisionMs;
        }
    }

    /// <summary>
    /// One acknowledged decision's stages: handle (its tick consumed → its bar queued: decode, bar
    /// close, features), queue (→ its batch's forward began), forward (the batch's model time),
    /// publish (risk, assembly, serialisation → handed to the producer), acknowledge (→ the broker's ack).
    /// </summary>
    public void RecordStages(TimeSpan handle, TimeSpan queue, TimeSpan forward, TimeSpan publish, TimeSpan acknowledge)
    {
        _stageSeconds.Record(handle.TotalSeconds, Stages[0]);
        _stageSeconds.Record(queue.TotalSeconds, Stages[1]);
        _stageSeconds.Record(forward.TotalSeconds, Stages[2]);
        _stageSeconds.Record(publish.TotalSeconds, Stages[3]);
        _stageSeconds.Record(acknowledge.TotalSeconds, Stages[4]);
    }

    /// <summary>Each assigned input partition's lag, as the watchdog last measured it; partitions not in
    /// <paramref name="lag"/> leave the series.</summary>
    public void ReplaceLag(IReadOnlyDictionary<(string Topic, int Partition), long> lag)
    {
        foreach (var key in _lag.Keys)
        {
            if (!lag.ContainsKey(key))
            {
                _lag.TryRemove(key, out _);
            }
        }

        foreach (var (key, value) in lag)
        {
            _lag[key] = value;
        }
    }

    /// <summary>The watchdog's view of the ingest loop: time since its last turn (null: not running) and whether
    /// it is stalled.</summary>
    public void IngestWatched(TimeSpan? sinceLastTurn, bool stalled)
    {
        Volatile.Write(ref _ingestAge, sinceLastTurn?.TotalSeconds ?? double.NaN);
        Volatile.Write(ref _ingestStalled, stalled ? 1 : 0);
    }

    public void ForgetLag() => _lag.Clear();

    public void KafkaError(string code) => _kafkaErrors.Add(1, new KeyValuePair<string, object?>("code", code));

    /// <summary>The producer's retries so far, summed over its brokers (from librdkafka's statistics).</summary>
    public void ProducerRetries(long retries) => Interlocked.Exchange(ref _producerRetries, retries);

    private IEnumerable<Measurement<double>> ObserveIngestAge()
    {
        var age = Volatile.Read(ref _ingestAge);
        return double.IsNaN(age) ? [] : [new Measurement<double>(age)];
    }

    private IEnumerable<Measurement<long>> ObserveLag() =>
        _lag.Select(kv => new Measurement<long>(
            kv.Value,
            new KeyValuePair<string, object?>("topic", kv.Key.Topic),
            new KeyValuePair<string, object?>("partition", kv.Key.Partition)
        ));

    /// <summary>Running totals and the p99 of the most recent tick-to-decision latencies.</summary>
    public PipelineTotals Totals()
    {
        double p99;
        lock (_gate)
        {
            var n = (int)Math.Min(_latencyCount, LatencySamples);
            var recent = _latencies.AsSpan(0, n).ToArray();
            Array.Sort(recent);
            p99 = n == 0 ? double.NaN : recent[Math.Min(n - 1, (int)Math.Ceiling(n * 0.99) - 1)];
        }

        var batches = Interlocked.Read(ref _batchTotal);
        return new PipelineTotals(
            Interlocked.Read(ref _tickTotal),
            Interlocked.Read(ref _barTotal),
            Interlocked.Read(ref _actions[0]),
            Interlocked.Read(ref _actions[1]),
            Interlocked.Read(ref _actions[2]),
            Interlocked.Read(ref _deadLetterTotal),
            batches == 0 ? 0 : (double)Interlocked.Read(ref _batchedRows) / batches,
            p99
        );
    }
}
