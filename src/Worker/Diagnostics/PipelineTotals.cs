namespace Inference.Streaming.Worker.Diagnostics;

/// <summary>Running totals of the stream since start.</summary>
public readonly record struct PipelineTotals(
    long Ticks,
    long Bars,
    long Holds,
    long Buys,
    long Sells,
    long DeadLetters,
    double MeanBatch,
    double P99LatencyMs
)
{
    public long Decisions => Holds + Buys + Sells;
}
