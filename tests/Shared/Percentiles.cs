namespace Inference.Streaming.Tests;

/// <summary>
/// Nearest-rank percentiles: one definition for every benchmark, load run and test that reports a p50 or a p99, so
/// their figures compare (linked into each test project).
/// </summary>
internal static class Percentiles
{
    /// <summary>The <paramref name="q"/>-quantile (0 &lt; q ≤ 1) of <paramref name="sorted"/>, which is in ascending
    /// order: the smallest value with at least q of them at or below it. NaN when there is none.</summary>
    public static double OfSorted(IReadOnlyList<double> sorted, double q) =>
        sorted.Count == 0
            ? double.NaN
            : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];

    /// <summary>The <paramref name="q"/>-quantile of <paramref name="values"/>, in any order.</summary>
    public static double Of(IEnumerable<double> values, double q) => OfSorted(values.Order().ToArray(), q);
}
