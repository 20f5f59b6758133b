using Inference.Streaming.Engine.Features;

namespace Inference.Streaming.Engine.Regimes;

/// <summary>
/// Runs a detector over one symbol's closed bars exactly as the stream does: each bar is folded into
/// <see cref="Indicators"/>, then the detector moves the symbol's regime on (keeping it while its
/// windows are short). The <c>detect</c> command, the fitting and the evaluation all come through here.
/// </summary>
public static class RegimeSeries
{
    /// <summary>The regime after each bar of <paramref name="bars"/>.</summary>
    public static RegimeState[] Run(IRegimeDetector detector, IEnumerable<Bar> bars)
    {
        var indicators = new Indicators();
        var regime = RegimeState.Prior;
        var result = new List<RegimeState>();
        foreach (var bar in bars)
        {
            indicators.Add(bar);
            regime = detector.Detect(indicators, regime) ?? regime;
            result.Add(regime);
        }

        return [.. result];
    }

    /// <summary>The scaled features after each bar (null while the windows are short).</summary>
    public static double[]?[] ScaledFeatures(IEnumerable<Bar> bars)
    {
        var indicators = new Indicators();
        var result = new List<double[]?>();
        foreach (var bar in bars)
        {
            indicators.Add(bar);
            var x = new double[RegimeFeatures.ScaledNames.Count];
            result.Add(RegimeFeatures.From(indicators).TryScale(x) ? x : null);
        }

        return [.. result];
    }
}
