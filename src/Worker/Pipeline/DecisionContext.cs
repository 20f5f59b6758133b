using Inference.Streaming.Worker.Inference;
using Inference.Streaming.Worker.Regimes;

namespace Inference.Streaming.Worker.Pipeline;

/// <summary>What a decision is about: the symbol, its bar, and the regime and weights it was decided under.</summary>
public sealed record DecisionContext(string Symbol, long BarStartMs, long BarEndMs, RegimeState Regime, SpecialistWeights Weights, SelectionStrategy Strategy);
