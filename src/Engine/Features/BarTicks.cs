namespace Inference.Streaming.Engine.Features;

/// <summary>
/// The ticks that rebuild a bar of a bar file in the stream: the open, the high, the low and the close, one
/// millisecond apart from the row's time, with the whole volume on the close (a tick's size may be 0). Fed to a
/// <see cref="BarBuilder"/> they give the bar the stream would build from them: open, high, low, close and volume
/// exactly, in the interval's bucket that holds the row's time, with 4 ticks. <c>backtest</c> runs its rows through
/// them, and a producer that replays a bar file into <c>market-ticks</c> sends the same four.
/// </summary>
public static class BarTicks
{
    /// <summary>How many ticks a row becomes; a bar interval must be longer than this many milliseconds.</summary>
    public const int PerBar = 4;

    /// <summary>The ticks of a row at <paramref name="timeMs"/>.</summary>
    public static (long TimeMs, double Price, double Size)[] Of(
        long timeMs,
        double open,
        double high,
        double low,
        double close,
        double volume
    ) => [(timeMs, open, 0), (timeMs + 1, high, 0), (timeMs + 2, low, 0), (timeMs + 3, close, volume)];

    /// <summary>The ticks of a row read as a bar (its start is the row's time).</summary>
    public static (long TimeMs, double Price, double Size)[] Of(in Bar row) =>
        Of(row.StartMs, row.Open, row.High, row.Low, row.Close, row.Volume);
}
