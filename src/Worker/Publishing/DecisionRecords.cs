using Inference.Streaming.Contracts.Events;

namespace Inference.Streaming.Worker.Publishing;

/// <summary>What one closed bar publishes: the live decision, or in a shadow experiment also the challenger's
/// (<see cref="Shadow"/>), whose decision goes to <c>trading-decisions.shadow</c>.</summary>
public sealed record DecisionRecords(TradingDecision Decision, DecisionForensics Forensics, string? TraceParent)
{
    public bool Shadow { get; init; }
}
