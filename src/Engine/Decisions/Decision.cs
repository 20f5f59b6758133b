using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Risk;

namespace Inference.Streaming.Engine.Decisions;

/// <summary>
/// What the decision rules made of one scored row: the action the models proposed and the action
/// the risk checks let through, the confidence, the quantity for each, and the assessment (null for
/// HOLD, which is never checked). A value: applying it to a portfolio is the caller's step.
/// </summary>
public sealed record Decision(
    TradeAction Proposed,
    TradeAction Action,
    double Confidence,
    int Quantity,
    int ProposedQuantity,
    RiskAssessment? Assessment
);
