using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Symbols;

namespace Inference.Streaming.Worker.State;

/// <summary>
/// What the stream keeps for one symbol: its features and portfolio (<see cref="SymbolFeatures"/>)
/// and the stream's bookkeeping for them: the book entry its sector's risk check sees, whether it
/// changed since the last checkpoint, and the decision in flight. Owned by the ingest thread, which
/// is also the only writer of the portfolio: a decision made on the batcher's thread is applied
/// here (<see cref="Settle"/>) before the symbol's next observation and before its state is
/// checkpointed.
/// </summary>
public sealed class SymbolState(string symbol, long barIntervalMs, double initialCapital)
    : SymbolFeatures(symbol, barIntervalMs, initialCapital)
{
    /// <summary>Changed since the last checkpoint.</summary>
    public bool Dirty { get; set; }

    /// <summary>Wall-clock time (Unix ms) of this symbol's newest snapshot in the changelog;
    /// <see cref="long.MinValue"/> before the first.</summary>
    public long SnapshotAtMs { get; set; } = long.MinValue;

    private Task<TradeAction>? _decision;
    private Task<TradeAction>? _shadowDecision;
    private double _decisionPrice;

    /// <summary>The challenger's paper portfolio in a shadow experiment: it starts with the initial capital at the
    /// symbol's first shadow decision and follows the challenger's actions. Kept in the changelog.</summary>
    public PaperPortfolio? ShadowPortfolio { get; private set; }

    /// <summary>
    /// The challenger's observation of the bar <see cref="SymbolFeatures.Observe"/> just folded in: the same
    /// indicators, with the shadow portfolio marked to the bar's close.
    /// </summary>
    public float[] ObserveShadow(in Bar bar)
    {
        var portfolio = ShadowPortfolio ??= new PaperPortfolio(Portfolio.InitialCapital);
        portfolio.MarkDay(bar.EndMs, bar.Close);
        var features = new float[Observation.Width];
        Observation.Compute(portfolio, Indicators, features);
        return features;
    }

    /// <summary>Restores the shadow portfolio from a snapshot.</summary>
    public PaperPortfolio RestoreShadowPortfolio() => ShadowPortfolio ??= new PaperPortfolio(Portfolio.InitialCapital);

    /// <summary>A decision for this symbol's last closed bar has been asked for and not yet applied.</summary>
    public bool HasDecisionInFlight => _decision is not null || _shadowDecision is not null;

    /// <summary>A decision asked for is not made yet: settling now would wait for it.</summary>
    public bool IsAwaitingDecision => _decision is { IsCompleted: false } || _shadowDecision is { IsCompleted: false };

    /// <summary>Remembers the decision asked for the bar that closed at <paramref name="price"/>.</summary>
    public void Await(Task<TradeAction> decision, double price, Task<TradeAction>? shadowDecision = null)
    {
        if (HasDecisionInFlight)
        {
            throw new InvalidOperationException(
                $"{Symbol}: the previous decision was not applied before the next bar's."
            );
        }

        (_decision, _decisionPrice, _shadowDecision) = (decision, price, shadowDecision);
    }

    /// <summary>
    /// Waits for the decision in flight and applies the published action to the portfolio at its
    /// bar's close. A decision that failed leaves the portfolio as it was, as a HOLD would.
    /// </summary>
    /// <returns>False when the decision did not complete within <paramref name="timeout"/> (it stays in
    /// flight).</returns>
    public bool Settle(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (_decision is { } decision)
        {
            try
            {
                if (!decision.Wait(timeout, cancellationToken))
                {
                    return false;
                }

                Portfolio.Apply(decision.Result, _decisionPrice);
            }
            catch (AggregateException)
            {
                // That decision failed and was logged and dead-lettered; its record keeps its offset unstored.
            }

            _decision = null;
        }

        if (_shadowDecision is { } shadow && ShadowPortfolio is { } shadowPortfolio)
        {
            try
            {
                if (!shadow.Wait(timeout, cancellationToken))
                {
                    return false;
                }

                shadowPortfolio.Apply(shadow.Result, _decisionPrice);
            }
            catch (AggregateException)
            {
                // The challenger could not decide (logged and counted): its portfolio holds.
            }
        }

        _shadowDecision = null;
        return true;
    }
}
