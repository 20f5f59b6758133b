using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Engine.Regimes;
using Inference.Streaming.Engine.Risk;

namespace Inference.Streaming.Engine.Decisions;

/// <summary>
/// What a decision is about: the symbol, its bar, the regime and weights it was decided under, and
/// the book its concentration check sees.
/// </summary>
public sealed record DecisionContext(
    string Symbol,
    long BarStartMs,
    long BarEndMs,
    RegimeState Regime,
    SpecialistWeights Weights,
    SelectionStrategy Strategy,
    SectorBook Book = default
);
