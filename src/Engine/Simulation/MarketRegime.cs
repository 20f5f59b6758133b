namespace Inference.Streaming.Engine.Simulation;

/// <summary>The simulator's hidden market regime.</summary>
public enum MarketRegime
{
    Bull,
    Bear,
    Sideways,
}
