namespace Inference.Streaming.Engine.Features;

/// <summary>What a tick did to its symbol's bars.</summary>
public enum TickOutcome
{
    Added,
    ClosedBar,
    Late,
}
