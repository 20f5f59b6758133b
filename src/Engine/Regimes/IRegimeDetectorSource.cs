namespace Inference.Streaming.Engine.Regimes;

/// <summary>The regime detector that computes the stream's regimes now; null when they come from the
/// <c>regime-updates</c> topic.</summary>
public interface IRegimeDetectorSource
{
    RegimeDetectorInfo? Current { get; }
}

/// <summary>Regimes read from the topic: no detector computes them here.</summary>
public sealed class TopicRegimes : IRegimeDetectorSource
{
    public static readonly TopicRegimes Instance = new();

    public RegimeDetectorInfo? Current => null;
}
