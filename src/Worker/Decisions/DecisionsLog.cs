namespace Inference.Streaming.Worker.Decisions;

/// <summary>Log messages of the decision stage: batches, failed bars, the wait for models. Event ids: Decisions's band
/// in <c>LogEventBands</c>.</summary>
internal static partial class DecisionsLog
{
    [LoggerMessage(5102, LogLevel.Information, "Ingest waiting for models before consuming")]
    public static partial void WaitingForModels(ILogger logger);

    [LoggerMessage(5100, LogLevel.Error, "Inference batch of {Count} rows failed")]
    public static partial void BatchFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(
        5101,
        LogLevel.Error,
        "No decision for {Symbol} bar ending {BarEnd}: {Reason}: {Detail}; dead-lettered as decision-failed, the "
            + "stream goes on"
    )]
    public static partial void DecisionNotMade(
        ILogger logger,
        string symbol,
        DateTime barEnd,
        string reason,
        string detail
    );
}
