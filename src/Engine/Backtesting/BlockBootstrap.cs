namespace Inference.Streaming.Engine.Backtesting;

/// <summary>
/// A paired moving-block bootstrap of the difference of two policies' Sharpe ratios per bar over the same bars:
/// blocks of consecutive bars (both policies' returns of a bar stay together, and so does the autocorrelation within
/// a block) drawn with replacement until the sample is as long as the series; the Sharpe difference of each sample
/// gives the 95% percentile interval. Seeded: the same returns and seed give the same interval.
/// </summary>
public static class BlockBootstrap
{
    public sealed record Interval(
        double Estimate,
        double Low,
        double High,
        double ProbabilityBetter,
        int Block,
        int Samples
    )
    {
        /// <summary>"+0.0123 [-0.0100, +0.0300]": the estimate and its 95% interval.</summary>
        public string Describe() =>
            FormattableString.Invariant($"{Estimate:+0.0000;-0.0000} [{Low:+0.0000;-0.0000}, {High:+0.0000;-0.0000}]");
    }

    public static Interval SharpeDifference(
        IReadOnlyList<double> a,
        IReadOnlyList<double> b,
        int block = 20,
        int samples = 2000,
        int seed = 17
    )
    {
        if (a.Count != b.Count)
        {
            throw new ArgumentException($"the two series have {a.Count} and {b.Count} bars; they must be paired");
        }

        var n = a.Count;
        var estimate = BacktestPerformance.Sharpe(a) - BacktestPerformance.Sharpe(b);
        if (n < 2)
        {
            return new Interval(estimate, estimate, estimate, 0.5, block, 0);
        }

        var length = Math.Clamp(block, 1, n);
        var random = new Random(seed);
        var differences = new double[samples];
        var sampleA = new double[n];
        var sampleB = new double[n];
        for (var s = 0; s < samples; s++)
        {
            for (var filled = 0; filled < n; )
            {
                var start = random.Next(n - length + 1);
                for (var k = 0; k < length && filled < n; k++, filled++)
                {
                    sampleA[filled] = a[start + k];
                    sampleB[filled] = b[start + k];
                }
            }

            differences[s] = BacktestPerformance.Sharpe(sampleA) - BacktestPerformance.Sharpe(sampleB);
        }

        Array.Sort(differences);
        return new Interval(
            estimate,
            differences[(int)(0.025 * (samples - 1))],
            differences[(int)Math.Ceiling(0.975 * (samples - 1))],
            differences.Count(d => d > 0) / (double)samples,
            length,
            samples
        );
    }
}
