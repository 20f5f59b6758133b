using Inference.Streaming.Engine.Features;

namespace Inference.Streaming.Engine.Regimes;

/// <summary>
/// The seed's four regime features over closed bars: the 5-bar return, the 20-bar volatility (sample
/// standard deviation of the last 20 one-bar returns), the 10-bar trend (Pearson correlation of the
/// last 10 closes with time) and the volume ratio (the bar's volume over the 20-bar mean). Read from
/// the symbol's <see cref="Indicators"/> windows, oldest first, so every caller computes them alike.
/// </summary>
public readonly record struct RegimeFeatures(
    double Return5,
    double Volatility20,
    double Trend10,
    double VolumeRatio,
    double Volatility50
)
{
    /// <summary>Bars needed before <see cref="TryScale"/> is defined (51 closes: 50 returns).</summary>
    public const int ScaledWarmup = 51;

    /// <summary>Names of the <see cref="TryScale"/> components, as parameter files list them.</summary>
    public static IReadOnlyList<string> ScaledNames { get; } =
    ["return5_in_volatility_units", "log_volatility20_over_50", "trend10", "log_volume_ratio"];

    /// <summary>
    /// The features from the newest bars of <paramref name="indicators"/>; NaN where a window is not full
    /// (the volatilities need 21 and 51 closes, the return 6, the trend 10, the volume ratio 20 bars).
    /// </summary>
    public static RegimeFeatures From(Indicators indicators)
    {
        var closes = indicators.Closes;
        var volumes = indicators.Volumes;
        var r5 = closes.Count > 5 ? (closes.FromEnd(0) / closes.FromEnd(5)) - 1.0 : double.NaN;
        var volumeMean = volumes.Mean(20);
        var ratio =
            double.IsNaN(volumeMean) ? double.NaN
            : volumeMean > 0 ? volumes.FromEnd(0) / volumeMean
            : 1.0;
        return new RegimeFeatures(r5, Volatility(closes, 20), Trend(closes, 10), ratio, Volatility(closes, 50));
    }

    /// <summary>
    /// The four features made free of the price scale and the bar interval, for a detector fitted on one
    /// market to read another: the 5-bar log return in units of its expected spread (v20·√5), the 20-bar
    /// volatility against the 50-bar one (log), the trend as is, the volume ratio (log). Each is clipped to
    /// a range a fitted Gaussian can score. False until <see cref="ScaledWarmup"/> bars are known.
    /// </summary>
    public bool TryScale(Span<double> scaled)
    {
        if (!double.IsFinite(Return5) || !double.IsFinite(Volatility50) || !double.IsFinite(Trend10))
        {
            return false;
        }

        var v20 = Math.Max(Volatility20, 1e-12);
        var v50 = Math.Max(Volatility50, 1e-12);
        scaled[0] = Clip(Math.Log(1.0 + Return5) / (v20 * Math.Sqrt(5)), 8);
        scaled[1] = Clip(Math.Log(v20 / v50), 3);
        scaled[2] = Trend10;
        scaled[3] = double.IsFinite(VolumeRatio) ? Clip(Math.Log(Math.Max(VolumeRatio, 1e-6)), 3) : 0.0;
        return true;
    }

    private static double Clip(double value, double limit) =>
        double.IsFinite(value) ? Math.Clamp(value, -limit, limit) : 0.0;

    /// <summary>Sample standard deviation of the newest <paramref name="returns"/> one-bar returns, summed oldest
    /// first as <see cref="RollingWindow.SampleStd"/> does, without a window per call (it runs on every closed
    /// bar).</summary>
    private static double Volatility(RollingWindow closes, int returns)
    {
        if (closes.Count < returns + 1)
        {
            return double.NaN;
        }

        double Return(int back) => (closes.FromEnd(back) / closes.FromEnd(back + 1)) - 1.0;
        var sum = 0.0;
        for (var back = returns - 1; back >= 0; back--)
        {
            sum += Return(back);
        }

        var mean = sum / returns;
        var squares = 0.0;
        for (var back = returns - 1; back >= 0; back--)
        {
            var d = Return(back) - mean;
            squares += d * d;
        }

        return Math.Sqrt(squares / (returns - 1));
    }

    private static double Trend(RollingWindow closes, int n)
    {
        if (closes.Count < n)
        {
            return double.NaN;
        }

        double meanX = (n - 1) / 2.0,
            meanY = 0;
        for (var i = 0; i < n; i++)
        {
            meanY += closes.FromEnd(n - 1 - i);
        }

        meanY /= n;
        double sxy = 0,
            sxx = 0,
            syy = 0;
        for (var i = 0; i < n; i++)
        {
            var dx = i - meanX;
            var dy = closes.FromEnd(n - 1 - i) - meanY;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }

        return syy == 0 ? 0.0 : sxy / Math.Sqrt(sxx * syy);
    }
}
