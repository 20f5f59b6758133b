using Inference.Streaming.Engine.Features;

namespace Inference.Streaming.Engine.Regimes;

/// <summary>
/// The rule table of <see cref="RuleRegimeDetector"/> fed one close at a time, for producers that keep no
/// <see cref="Indicators"/> of their own (the demo feed and the test harnesses).
/// </summary>
public sealed class RuleBasedRegimeDetector
{
    public const string Name = RuleRegimeDetector.Name;
    public const string Version = RuleRegimeDetector.Version;

    private readonly Indicators _indicators = new();

    /// <summary>Adds a closed bar's close; returns (bull, bear, sideways) once 10 bars are known.</summary>
    public (double Bull, double Bear, double Sideways)? Add(double close)
    {
        _indicators.Add(new Bar(0, 0, close, close, close, close, 0, 1));
        return RuleRegimeDetector.Classify(RegimeFeatures.From(_indicators));
    }
}
