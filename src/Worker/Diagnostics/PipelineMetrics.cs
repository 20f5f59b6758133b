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

    private readonly Counter<long> _ticks;
    private readonly Counter<long> _bars;
    private readonly Counter<long> _decisions;
    private readonly Counter<long> _deadLetters;
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _inferenceSeconds;
    private readonly Histogram<double> _tickToDecisionSeconds;
    private readonly double[] _latencies = new double[LatencySamples];
    private readonly Lock _gate = new();
    private long _latencyCount;
    private long _tickTotal;
    private long _barTotal;
    private long _batchTotal;
    private long _batchedRows;
    private long _deadLetterTotal;
    private readonly long[] _actions = new long[3];

    public PipelineMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _ticks = meter.CreateCounter<long>("inference_ticks_consumed", "{tick}", "Market ticks consumed");
        _bars = meter.CreateCounter<long>("inference_bars_closed", "{bar}", "Bars closed");
        _decisions = meter.CreateCounter<long>("inference_decisions", "{decision}", "Decisions published, by action");
        _deadLetters = meter.CreateCounter<long>("inference_dead_letters", "{record}", "Records sent to the dead-letter topic, by reason");
        _batchSize = meter.CreateHistogram<int>("inference_batch_size", "{row}", "Rows per inference batch");
        _inferenceSeconds = meter.CreateHistogram<double>("inference_batch_duration", "s", "Model time per batch");
        _tickToDecisionSeconds = meter.CreateHistogram<double>("inference_tick_to_decision_duration", "s", "From consuming the tick that closed a bar to the decision being acknowledged");
    }

    public void TickConsumed()
    {
        _ticks.Add(1);
        Interlocked.Increment(ref _tickTotal);
    }

    public void BarClosed()
    {
        _bars.Add(1);
        Interlocked.Increment(ref _barTotal);
    }

    public void DeadLettered(string reason)
    {
        _deadLetters.Add(1, new KeyValuePair<string, object?>("reason", reason));
        Interlocked.Increment(ref _deadLetterTotal);
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
            p99);
    }
}
