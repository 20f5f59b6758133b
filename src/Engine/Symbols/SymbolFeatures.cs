using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Regimes;

namespace Inference.Streaming.Engine.Symbols;

/// <summary>
/// One symbol's market as the models see it: the open bar, the indicators over closed bars, the
/// paper portfolio and the regime, with the regime updates held until the bar they belong to
/// closes. The worker's stream state and the trainer's environment are both built on it, so a bar
/// gives the same observation in either.
/// </summary>
public class SymbolFeatures(string symbol, long barIntervalMs, double initialCapital)
{
    public string Symbol { get; } = symbol;

    public BarBuilder Bars { get; } = new(barIntervalMs);

    public Indicators Indicators { get; } = new();

    public PaperPortfolio Portfolio { get; } = new(initialCapital);

    public RegimeState Regime { get; set; } = RegimeState.Prior;

    /// <summary>
    /// Folds a closed bar into the indicators and the day's loss accounting and returns the bar's
    /// observation (docs/design.md, The observation). The worker and the trainer both come through here.
    /// </summary>
    public float[] Observe(in Bar bar)
    {
        Indicators.Add(bar);
        Portfolio.MarkDay(bar.EndMs, bar.Close);
        var features = new float[Observation.Width];
        Observation.Compute(Portfolio, Indicators, features);
        return features;
    }

    private readonly List<(long EventTimeMs, RegimeState Regime)> _pendingRegimes = [];

    /// <summary>
    /// Holds a regime update until the first bar that ends after its event time closes, so the regime
    /// a bar sees depends on event times, not on how the two input topics interleave.
    /// </summary>
    public void AddRegime(long eventTimeMs, RegimeState regime)
    {
        var index = _pendingRegimes.FindLastIndex(r => r.EventTimeMs <= eventTimeMs) + 1;
        _pendingRegimes.Insert(index, (eventTimeMs, regime));
    }

    /// <summary>Applies every held update with an event time before <paramref name="barEndMs"/>, in event-time
    /// order.</summary>
    public void ApplyRegimesBefore(long barEndMs)
    {
        var applied = 0;
        while (applied < _pendingRegimes.Count && _pendingRegimes[applied].EventTimeMs < barEndMs)
        {
            Regime = _pendingRegimes[applied].Regime;
            applied++;
        }

        _pendingRegimes.RemoveRange(0, applied);
    }

    public IReadOnlyList<(long EventTimeMs, RegimeState Regime)> HeldRegimes => _pendingRegimes;

    /// <summary>
    /// The latest event time this symbol's state covers: its open bar's end (or the end of its last
    /// closed bar) and its latest held regime update; <see cref="long.MinValue"/> when it has neither.
    /// Idle eviction compares it with the partition's watermark, so it is a function of the input
    /// sequence alone and survives a restart with the snapshot.
    /// </summary>
    public long LastActivityMs =>
        Math.Max(
            Bars.HasOpenBar ? Bars.OpenBar.EndMs : Bars.ClosedUntilMs,
            _pendingRegimes.Count > 0 ? _pendingRegimes[^1].EventTimeMs : long.MinValue
        );

    /// <summary>Replaces the held regime updates (state restore).</summary>
    public void RestoreHeldRegimes(IEnumerable<(long EventTimeMs, RegimeState Regime)> held)
    {
        _pendingRegimes.Clear();
        _pendingRegimes.AddRange(held);
    }
}
