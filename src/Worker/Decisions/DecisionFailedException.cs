namespace Inference.Streaming.Worker.Decisions;

/// <summary>A closed bar got no decision; it was dead-lettered as <c>decision-failed</c>.</summary>
public sealed class DecisionFailedException(string reason, string detail) : Exception($"{reason}: {detail}");
