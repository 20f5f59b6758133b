namespace Inference.Streaming.Engine.Simulation;

/// <summary>One simulated print.</summary>
public readonly record struct SimulatedTick(
    string Symbol,
    long TimeMs,
    double Price,
    double Size,
    double Bid,
    double Ask,
    long Sequence
);
