using Inference.Streaming.Engine.Features;

namespace Inference.Streaming.Engine.UnitTests.Features;

/// <summary>
/// The observation (docs/design.md, The observation) computed the batch way, as pandas would: every series over
/// the whole history (rolling windows with min_periods = window, <c>ewm(adjust=False)</c>, <c>pct_change</c>,
/// <c>delta.where(delta &gt; 0, 0)</c>), then the last row taken. Written independently of the
/// incremental <see cref="Indicators"/> so the two check each other.
/// </summary>
internal static class BatchFeatureReference
{
    /// <summary>Bars from ticks, grouped by epoch-aligned bucket; buckets without ticks have no bar.</summary>
    public static List<Bar> Bars(IEnumerable<(long TimeMs, double Price, double Size)> ticks, long intervalMs) =>
        [
            .. ticks
                .GroupBy(t => t.TimeMs - (((t.TimeMs % intervalMs) + intervalMs) % intervalMs))
                .OrderBy(g => g.Key)
                .Select(g => new Bar(
                    g.Key,
                    g.Key + intervalMs,
                    g.First().Price,
                    g.Max(t => t.Price),
                    g.Min(t => t.Price),
                    g.Last().Price,
                    g.Sum(t => t.Size),
                    g.Count()
                )),
        ];

    /// <summary>Observation indexes 3–42 after each bar, sanitised (NaN → 0, ±∞ → ±1).</summary>
    public static double[][] Indicators(IReadOnlyList<Bar> bars)
    {
        var n = bars.Count;
        var close = bars.Select(b => b.Close).ToArray();
        var delta = Enumerable.Range(0, n).Select(i => i == 0 ? double.NaN : close[i] - close[i - 1]).ToArray();
        var gain = delta.Select(d => d > 0 ? d : 0.0).ToArray();
        var loss = delta.Select(d => d < 0 ? -d : 0.0).ToArray();
        var avgGain = Rolling(gain, 14, Mean);
        var avgLoss = Rolling(loss, 14, Mean);
        var ema12 = Ewm(close, 12);
        var ema26 = Ewm(close, 26);
        var macd = ema12.Zip(ema26, (a, b) => a - b).ToArray();
        var signal = Ewm(macd, 9);
        var trueRange = Enumerable
            .Range(0, n)
            .Select(i =>
                new[]
                {
                    bars[i].High - bars[i].Low,
                    i == 0 ? double.NaN : Math.Abs(bars[i].High - close[i - 1]),
                    i == 0 ? double.NaN : Math.Abs(bars[i].Low - close[i - 1]),
                }
                    .Where(v => !double.IsNaN(v))
                    .Max()
            )
            .ToArray();
        var atr = Rolling(trueRange, 14, Mean);
        var sma20 = Rolling(close, 20, Mean);
        var std20 = Rolling(close, 20, SampleStd);
        var sma50 = Rolling(close, 50, Mean);
        var volume = bars.Select(b => b.Volume).ToArray();
        var volumeSma20 = Rolling(volume, 20, Mean);
        var returns1 = PctChange(close, 1);

        var rows = new double[n][];
        for (var i = 0; i < n; i++)
        {
            var c = close[i];
            var rs = avgGain[i] / avgLoss[i];
            var upper = sma20[i] + (2 * std20[i]);
            var lower = sma20[i] - (2 * std20[i]);
            var row = new List<double>
            {
                (100 - (100 / (1 + rs))) / 100,
                c > 0 ? macd[i] / c : 0,
                c > 0 ? signal[i] / c : 0,
                c > 0 ? atr[i] / c : 0,
                (c - lower) / (upper - lower + 1e-8),
                volume[i] / volumeSma20[i] / 3,
                returns1[i],
                PctChange(close, 5)[i],
                PctChange(close, 20)[i],
                sma20[i] > sma50[i] ? 1 : 0,
            };
            for (var j = i - 29; j <= i; j++)
            {
                row.Add(j < 0 || double.IsNaN(returns1[j]) ? 0 : returns1[j]);
            }

            rows[i] = [.. row.Select(Observation.Sanitize)];
        }

        return rows;
    }

    private static double[] Rolling(double[] values, int window, Func<ArraySegment<double>, double> statistic) =>
        [
            .. Enumerable
                .Range(0, values.Length)
                .Select(i =>
                    i + 1 < window ? double.NaN : statistic(new ArraySegment<double>(values, i + 1 - window, window))
                ),
        ];

    private static double Mean(ArraySegment<double> window)
    {
        var sum = 0.0;
        foreach (var v in window)
        {
            sum += v;
        }

        return sum / window.Count;
    }

    private static double SampleStd(ArraySegment<double> window)
    {
        var mean = Mean(window);
        var sum = 0.0;
        foreach (var v in window)
        {
            sum += (v - mean) * (v - mean);
        }

        return Math.Sqrt(sum / (window.Count - 1));
    }

    private static double[] Ewm(double[] values, int span)
    {
        var alpha = 2.0 / (span + 1);
        var result = new double[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            result[i] = i == 0 ? values[0] : (alpha * values[i]) + ((1 - alpha) * result[i - 1]);
        }

        return result;
    }

    private static double[] PctChange(double[] values, int periods) =>
        [
            .. Enumerable
                .Range(0, values.Length)
                .Select(i => i < periods ? double.NaN : (values[i] / values[i - periods]) - 1),
        ];
}
