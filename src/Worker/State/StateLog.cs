namespace Inference.Streaming.Worker.State;

/// <summary>Log messages of the changelog: restore and its tail. Event ids: State's band in
/// <c>LogEventBands</c>.</summary>
internal static partial class StateLog
{
    [LoggerMessage(
        2200,
        LogLevel.Information,
        "Restored {Topic}[{Partition}]: {Symbols} symbols from {Records} records (offsets {Start} to {End}) in "
            + "{ElapsedMs:F0} ms, resuming after ticks offset {TicksOffset}, regimes offset {RegimesOffset}"
    )]
    public static partial void StateRestored(
        ILogger logger,
        string topic,
        int partition,
        int symbols,
        long records,
        long start,
        long end,
        double elapsedMs,
        long ticksOffset,
        long regimesOffset
    );

    [LoggerMessage(
        2201,
        LogLevel.Information,
        "{Topic}[{Partition}] starts at offset {Start}: the records before it were removed by the broker. The "
            + "checkpoints kept span {Span}, at least the {Needed} in which every symbol is rewritten "
            + "(State:RefreshInterval plus State:CheckpointInterval), so every symbol was restored"
    )]
    public static partial void StateTailComplete(
        ILogger logger,
        string topic,
        int partition,
        long start,
        TimeSpan span,
        TimeSpan needed
    );

    [LoggerMessage(
        2202,
        LogLevel.Warning,
        "{Topic}[{Partition}] starts at offset {Start}: the records before it were removed by the broker, and the "
            + "checkpoints kept span only {Span}, less than the {Needed} in which every symbol is rewritten "
            + "(State:RefreshInterval plus State:CheckpointInterval). Symbols whose newest snapshot was removed "
            + "start again from no history; keep the changelog longer (its retention, or the embedded broker's "
            + "Embedded:Retention) or shorten State:RefreshInterval"
    )]
    public static partial void StateTailIncomplete(
        ILogger logger,
        string topic,
        int partition,
        long start,
        TimeSpan span,
        TimeSpan needed
    );
}
