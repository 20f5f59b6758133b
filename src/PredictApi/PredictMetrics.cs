using System.Diagnostics.Metrics;

namespace Inference.Streaming.PredictApi;

/// <summary>The seed service's metrics: <c>predictions_total{status}</c>, <c>prediction_latency_seconds</c>,
/// <c>active_requests</c>.</summary>
public sealed class PredictMetrics
{
    public const string MeterName = "Inference.Streaming.PredictApi";

    private static readonly double[] LatencyBuckets =
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
    ];

    private readonly Counter<long> _predictions;
    private readonly Histogram<double> _latency;
    private readonly UpDownCounter<long> _active;

    public PredictMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _predictions = meter.CreateCounter<long>(
            "predictions",
            unit: null,
            description: "Predict requests by outcome (success, or the error status)"
        );
        _latency = meter.CreateHistogram<double>(
            "prediction_latency",
            "s",
            "Predict latency",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets }
        );
        _active = meter.CreateUpDownCounter<long>(
            "active_requests",
            unit: null,
            description: "Predict requests in progress"
        );
    }

    public void Started() => _active.Add(1);

    public void Finished(string status, TimeSpan elapsed)
    {
        _active.Add(-1);
        _predictions.Add(1, new KeyValuePair<string, object?>("status", status));
        _latency.Record(elapsed.TotalSeconds);
    }
}
