namespace Inference.Streaming.Engine.Features;

/// <summary>One closed OHLCV bar; times are Unix milliseconds, the end exclusive.</summary>
public readonly record struct Bar(
    long StartMs,
    long EndMs,
    double Open,
    double High,
    double Low,
    double Close,
    double Volume,
    int Ticks
);
