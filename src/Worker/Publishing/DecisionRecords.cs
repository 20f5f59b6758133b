using Inference.Streaming.Contracts.Events;

namespace Inference.Streaming.Worker.Publishing;

/// <summary>What one closed bar publishes.</summary>
public sealed record DecisionRecords(TradingDecision Decision, DecisionForensics Forensics, string? TraceParent);
