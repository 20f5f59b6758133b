using Inference.Streaming.Engine.Features;

namespace Inference.Streaming.Engine.Regimes;

/// <summary>
/// The seed's rule table (docs/design.md, Regimes and selection) over <see cref="RegimeFeatures"/>: r5 &gt; 0.03 and
/// trend &gt; 0.3 → (0.6, 0.1, 0.3); r5 &lt; −0.03 and trend &lt; −0.3 → (0.1, 0.6, 0.3); |trend| &lt;
/// 0.2 or v20 &gt; 0.04 → (0.25, 0.25, 0.5); otherwise (0.33, 0.33, 0.34). Defined from the 10th bar.
/// </summary>
public sealed class RuleRegimeDetector : IRegimeDetector
{
    public const string Name = "rules";
    public const string Version = "1.0";

    public static RuleRegimeDetector Instance { get; } = new();

    public RegimeDetectorInfo Info { get; } = new(Name, Version, null);

    public RegimeState? Detect(Indicators indicators, RegimeState previous) =>
        Classify(RegimeFeatures.From(indicators)) is { } p
            ? RegimeState.FromProbabilities(p.Bull, p.Bear, p.Sideways)
            : null;

    /// <summary>The table's row for <paramref name="features"/>; null before 10 closes.</summary>
    public static (double Bull, double Bear, double Sideways)? Classify(in RegimeFeatures features)
    {
        if (double.IsNaN(features.Trend10))
        {
            return null;
        }

        var (r5, trend, v20) = (features.Return5, features.Trend10, features.Volatility20);
        if (r5 > 0.03 && trend > 0.3)
        {
            return (0.6, 0.1, 0.3);
        }

        if (r5 < -0.03 && trend < -0.3)
        {
            return (0.1, 0.6, 0.3);
        }

        // v20 is NaN before 21 closes: the comparison is false, as in the seed.
        return Math.Abs(trend) < 0.2 || v20 > 0.04 ? (0.25, 0.25, 0.5) : (0.33, 0.33, 0.34);
    }
}
