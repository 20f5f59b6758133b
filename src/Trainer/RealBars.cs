using Inference.Streaming.Engine.Regimes;

namespace Inference.Streaming.Trainer;

/// <summary>Reading a bar file for the trainer: the training market before a date.</summary>
public static class RealBars
{
    /// <summary>The bars of <paramref name="path"/> that start before <paramref name="until"/> (all without), at the
    /// file's bar interval (its smallest gap).</summary>
    public static HistoricalMarket Market(string path, DateTimeOffset? until, IRegimeDetector? detector)
    {
        var interval = BarCsv.SmallestGapMs(BarCsv.Read(path)) ?? (long)TimeSpan.FromDays(1).TotalMilliseconds;
        return HistoricalMarket.Read(path, until ?? DateTimeOffset.MaxValue, interval, detector);
    }
}
