namespace Inference.Streaming.Worker.DemoFeed;

/// <summary>Log messages of the demo feed. Event ids: DemoFeed's band in <c>LogEventBands</c>.</summary>
internal static partial class DemoFeedLog
{
    [LoggerMessage(
        8000,
        LogLevel.Information,
        "Demo feed: {Symbols} symbols, {TicksPerSecond} ticks/s, seed {Seed}, into {Topic}"
    )]
    public static partial void DemoFeedStarted(
        ILogger logger,
        int symbols,
        double ticksPerSecond,
        int seed,
        string topic
    );
}
