using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Engine.Regimes;
using Inference.Streaming.Engine.Risk;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Engine.Decisions;

/// <summary>
/// The one decision path (docs/design.md, Regimes and selection). Before the forward: the symbol's strategy, its
/// regime's weights and the plan of which models score it. After: the proposed action and its
/// confidence, the action the risk checks let through, and the quantities. It reads the portfolio
/// and never changes it; the stream applies the action on its ingest thread, replay and REST do
/// not apply it at all, and the trainer applies it in its environment. The stream, replay, REST and
/// the trainer all decide through here.
/// </summary>
public sealed class DecisionFunction(IStrategyWeights weights, RiskChecker risk, IOptions<InferenceOptions> inference)
{
    /// <summary>The symbol's strategy: <c>Inference:SymbolSelection</c>, else <c>Inference:Selection</c>.</summary>
    public SelectionStrategy StrategyFor(string symbol) =>
        inference.Value.SymbolSelection.TryGetValue(symbol, out var chosen) ? chosen : inference.Value.Selection;

    /// <summary>How <paramref name="symbol"/> is scored under <paramref name="regime"/>, with its own strategy or
    /// <paramref name="strategy"/>.</summary>
    public DecisionRoute Route(string symbol, RegimeState regime, SelectionStrategy? strategy = null)
    {
        var w = weights.WeightsFor(regime);
        var chosen = strategy ?? StrategyFor(symbol);
        return new DecisionRoute(chosen, w, DecisionPolicy.Plan(chosen, w));
    }

    /// <summary>The decision for a scored row at <paramref name="price"/>, against the portfolio and book as they
    /// are.</summary>
    public Decision Decide(
        ReadOnlySpan<double> probabilities,
        double entropy,
        double price,
        PaperPortfolio portfolio,
        SectorBook book = default
    )
    {
        var (proposed, confidence) = DecisionPolicy.Act(probabilities);
        var (action, assessment) = Gate(proposed, price, portfolio, book);
        return new Decision(
            proposed,
            action,
            confidence,
            DecisionPolicy.Quantity(action, confidence, entropy),
            DecisionPolicy.Quantity(proposed, confidence, entropy),
            assessment
        );
    }

    /// <summary>The action the risk checks let through: a failed check turns BUY/SELL into HOLD; HOLD is not
    /// checked.</summary>
    public (TradeAction Action, RiskAssessment? Assessment) Gate(
        TradeAction proposed,
        double price,
        PaperPortfolio portfolio,
        SectorBook book = default
    )
    {
        var action = risk.Gate(proposed, price, portfolio, out var assessment, book);
        return (action, assessment);
    }
}
