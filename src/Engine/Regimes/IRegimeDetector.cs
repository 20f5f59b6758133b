using Inference.Streaming.Engine.Features;

namespace Inference.Streaming.Engine.Regimes;

/// <summary>
/// A regime detector over one symbol's closed bars. <see cref="Detect"/> is a pure function of the
/// symbol's indicator windows (which hold the bars up to and including the bar just closed) and the
/// regime it returned for the previous bar, so a detector needs no state of its own: the stream's
/// snapshots already carry both, and restarts, replays and the batch <c>detect</c> command give the
/// same probabilities for the same bars.
/// </summary>
public interface IRegimeDetector
{
    RegimeDetectorInfo Info { get; }

    /// <summary>
    /// The regime after the bar just folded into <paramref name="indicators"/>; null while the windows
    /// are too short (the symbol keeps <paramref name="previous"/>).
    /// </summary>
    RegimeState? Detect(Indicators indicators, RegimeState previous);
}

/// <summary>Who computed a regime: the detector's name and version, and its parameter file's SHA-256 (null for
/// a detector without parameters).</summary>
public sealed record RegimeDetectorInfo(string Name, string Version, string? Sha256)
{
    /// <summary>name/version/sha256, as the configuration fingerprint records it.</summary>
    public string Identity => $"{Name}/{Version}/{Sha256 ?? "-"}";
}
