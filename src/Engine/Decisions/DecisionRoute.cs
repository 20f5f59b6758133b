using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Engine.Regimes;

namespace Inference.Streaming.Engine.Decisions;

/// <summary>How a symbol's bar is scored: the strategy, the specialist weights of its regime, and the models'
/// plan.</summary>
public sealed record DecisionRoute(SelectionStrategy Strategy, SpecialistWeights Weights, RowPlan Plan);
