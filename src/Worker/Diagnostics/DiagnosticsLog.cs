namespace Inference.Streaming.Worker.Diagnostics;

/// <summary>Log messages of the periodic summary. Event ids: Diagnostics's band in <c>LogEventBands</c>.</summary>
internal static partial class DiagnosticsLog
{
    [LoggerMessage(
        7000,
        LogLevel.Information,
        "stream: {TicksPerSecond:F0} ticks/s, {Bars} bars, {Decisions} decisions (HOLD {Holds}, BUY {Buys}, SELL "
            + "{Sells}), mean batch {MeanBatch:F1}, p99 tick-to-decision {P99:F1} ms, {DeadLetters} dead-lettered"
    )]
    public static partial void Summary(
        ILogger logger,
        double ticksPerSecond,
        long bars,
        long decisions,
        long holds,
        long buys,
        long sells,
        double meanBatch,
        double p99,
        long deadLetters
    );
}
