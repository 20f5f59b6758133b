namespace Inference.Streaming.Engine.Features;

/// <summary>What <c>Features:MaxEventTimeSkew</c> is measured from.</summary>
public enum EventTimeReference
{
    /// <summary><see cref="Watermark"/> while the demo feed runs in this process, otherwise
    /// <see cref="WallClock"/>.</summary>
    Auto,

    /// <summary>
    /// The later of the partition's watermark and the wall clock: a live feed is never ahead of now,
    /// and a gap (a weekend, a quiet symbol) does not make the next tick "future".
    /// </summary>
    WallClock,

    /// <summary>The partition's watermark alone: for simulated or replayed time without gaps longer than the
    /// skew.</summary>
    Watermark,
}
