namespace Inference.Streaming.Worker.Publishing;

/// <summary>Log messages of dead letters. Event ids: Publishing's band in <c>LogEventBands</c>.</summary>
internal static partial class PublishingLog
{
    [LoggerMessage(2300, LogLevel.Warning, "Dead-lettered {Topic}[{Partition}]@{Offset}: {Reason}: {Detail}")]
    public static partial void DeadLettered(
        ILogger logger,
        string topic,
        int partition,
        long offset,
        string reason,
        string detail
    );

    [LoggerMessage(
        2301,
        LogLevel.Error,
        "Dead letter for {Topic}[{Partition}]@{Offset} ({Reason}) could not be delivered: {Error}; the record is "
            + "skipped"
    )]
    public static partial void DeadLetterFailed(
        ILogger logger,
        string topic,
        int partition,
        long offset,
        string reason,
        string error
    );
}
