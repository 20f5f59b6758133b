using Inference.Streaming.Engine.Features;

namespace Inference.Streaming.Engine.Simulation;

/// <summary>
/// The seed's rule-based regime detector over closed bars (DESIGN.md section 4): r5 = 5-bar
/// return, v20 = sample standard deviation of the last 20 one-bar returns, trend = Pearson
/// correlation of the last 10 closes with time. Embedded demo only; production regimes come from
/// the regime service.
/// </summary>
public sealed class RuleBasedRegimeDetector
{
    public const string Name = "seed-rules";
    public const string Version = "1.0";

    private readonly RollingWindow _closes = new(21);

    /// <summary>Adds a closed bar's close; returns (bull, bear, sideways) once 10 bars are known.</summary>
    public (double Bull, double Bear, double Sideways)? Add(double close)
    {
        _closes.Add(close);
        if (_closes.Count < 10)
        {
            return null;
        }

        var r5 = (_closes.FromEnd(0) / _closes.FromEnd(5)) - 1.0;
        var v20 = Volatility20();
        var trend = Trend10();
        if (r5 > 0.03 && trend > 0.3)
        {
            return (0.6, 0.1, 0.3);
        }

        if (r5 < -0.03 && trend < -0.3)
        {
            return (0.1, 0.6, 0.3);
        }

        if (Math.Abs(trend) < 0.2 || v20 > 0.04)
        {
            return (0.25, 0.25, 0.5);
        }

        return (0.33, 0.33, 0.34);
    }

    private double Volatility20()
    {
        if (_closes.Count < 21)
        {
            return double.NaN;
        }

        var returns = new RollingWindow(20);
        for (var i = 1; i < 21; i++)
        {
            returns.Add((_closes[i] / _closes[i - 1]) - 1.0);
        }

        return returns.SampleStd(20);
    }

    private double Trend10()
    {
        const int n = 10;
        double meanX = (n - 1) / 2.0,
            meanY = 0;
        for (var i = 0; i < n; i++)
        {
            meanY += _closes.FromEnd(n - 1 - i);
        }

        meanY /= n;
        double sxy = 0,
            sxx = 0,
            syy = 0;
        for (var i = 0; i < n; i++)
        {
            var dx = i - meanX;
            var dy = _closes.FromEnd(n - 1 - i) - meanY;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }

        return syy == 0 ? 0.0 : sxy / Math.Sqrt(sxx * syy);
    }
}
