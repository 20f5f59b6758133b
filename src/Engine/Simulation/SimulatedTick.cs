using Inference.Streaming.Contracts.Events;

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
)
{
    /// <summary>The print as the <c>market-ticks</c> contract carries it.</summary>
    public MarketTick ToContract() =>
        new()
        {
            symbol = Symbol,
            event_time = DateTimeOffset.FromUnixTimeMilliseconds(TimeMs).UtcDateTime,
            price = Price,
            size = Size,
            bid = Bid,
            ask = Ask,
            sequence = Sequence,
        };
}
