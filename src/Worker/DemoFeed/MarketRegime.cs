namespace Inference.Streaming.Worker.DemoFeed;

/// <summary>The simulator's hidden market regime.</summary>
public enum MarketRegime
{
    Bull,
    Bear,
    Sideways,
}
