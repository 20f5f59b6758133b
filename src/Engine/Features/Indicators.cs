namespace Inference.Streaming.Engine.Features;

/// <summary>
/// The seed's technical indicators over closed bars, updated once per bar (docs/design.md, The observation),
/// with pandas semantics: a window that is not full is NaN; EMAs recurse from the first bar
/// (<c>ewm(span, adjust=False)</c>); the first bar's close-to-close change counts as 0 for RSI
/// (<c>delta.where(delta &gt; 0, 0)</c> turns the leading NaN into 0) and as a 0 return.
/// Windows are summed oldest first, as the batch reference does.
/// </summary>
public sealed class Indicators
{
    public const int Returns = 30;
    private const double Alpha12 = 2.0 / 13.0;
    private const double Alpha26 = 2.0 / 27.0;
    private const double Alpha9 = 2.0 / 10.0;

    // 51 closes cover SMA50 and the 30 returns (31 closes) and the 20-bar return (21 closes).
    private readonly RollingWindow _closes = new(51);
    private readonly RollingWindow _trueRanges = new(14);
    private readonly RollingWindow _volumes = new(20);

    public long BarCount { get; private set; }

    public double Ema12 { get; private set; }

    public double Ema26 { get; private set; }

    public double Signal { get; private set; }

    public double LastClose => _closes.Count == 0 ? double.NaN : _closes.FromEnd(0);

    public void Add(in Bar bar)
    {
        var previousClose = _closes.Count == 0 ? double.NaN : _closes.FromEnd(0);
        var trueRange = bar.High - bar.Low;
        if (!double.IsNaN(previousClose))
        {
            // pandas DataFrame.max(axis=1) skips the NaN of the first bar's missing previous close.
            trueRange = Math.Max(
                trueRange,
                Math.Max(Math.Abs(bar.High - previousClose), Math.Abs(bar.Low - previousClose))
            );
        }

        _closes.Add(bar.Close);
        _trueRanges.Add(trueRange);
        _volumes.Add(bar.Volume);
        if (BarCount == 0)
        {
            Ema12 = Ema26 = bar.Close;
            Signal = 0.0;
        }
        else
        {
            Ema12 = (Alpha12 * bar.Close) + ((1 - Alpha12) * Ema12);
            Ema26 = (Alpha26 * bar.Close) + ((1 - Alpha26) * Ema26);
            Signal = (Alpha9 * (Ema12 - Ema26)) + ((1 - Alpha9) * Signal);
        }

        BarCount++;
    }

    /// <summary>Writes indexes 3–42 of the observation (docs/design.md, The observation) as raw doubles, NaN and
    /// infinities included.</summary>
    public void Write(Span<double> observation)
    {
        var close = LastClose;
        observation[3] = Rsi() / 100.0;
        var macd = Ema12 - Ema26;
        observation[4] = close > 0 ? macd / close : 0.0;
        observation[5] = close > 0 ? Signal / close : 0.0;
        observation[6] = close > 0 ? _trueRanges.Mean(14) / close : 0.0;
        var sma20 = _closes.Mean(20);
        var std20 = _closes.SampleStd(20);
        var upper = sma20 + (2 * std20);
        var lower = sma20 - (2 * std20);
        observation[7] = (close - lower) / (upper - lower + 1e-8);
        observation[8] = _volumes.FromEnd(0) / _volumes.Mean(20) / 3.0;
        observation[9] = Return(1);
        observation[10] = Return(5);
        observation[11] = Return(20);
        observation[12] = sma20 > _closes.Mean(50) ? 1.0 : 0.0;
        for (var j = 0; j < Returns; j++)
        {
            // Slot j holds the return of bar (count − 30 + j); bars before the first are padding.
            var back = Returns - 1 - j;
            observation[13 + j] =
                back < BarCount - 1 && back < _closes.Count - 1
                    ? (_closes.FromEnd(back) / _closes.FromEnd(back + 1)) - 1.0
                    : 0.0;
        }
    }

    private double Return(int bars) =>
        _closes.Count > bars ? (_closes.FromEnd(0) / _closes.FromEnd(bars)) - 1.0 : double.NaN;

    private double Rsi()
    {
        if (BarCount < 14)
        {
            return double.NaN;
        }

        double gains = 0,
            losses = 0;
        for (var back = 13; back >= 0; back--)
        {
            // The very first bar's change is 0 (it has no previous close).
            var change = back < BarCount - 1 ? _closes.FromEnd(back) - _closes.FromEnd(back + 1) : 0.0;
            gains += change > 0 ? change : 0.0;
            losses += change < 0 ? -change : 0.0;
        }

        var rs = (gains / 14.0) / (losses / 14.0);
        return 100.0 - (100.0 / (1.0 + rs));
    }

    public RollingWindow Closes => _closes;

    public RollingWindow TrueRanges => _trueRanges;

    public RollingWindow Volumes => _volumes;

    public void Restore(long barCount, double ema12, double ema26, double signal)
    {
        (BarCount, Ema12, Ema26, Signal) = (barCount, ema12, ema26, signal);
    }
}
