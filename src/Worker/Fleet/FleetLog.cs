namespace Inference.Streaming.Worker.Fleet;

/// <summary>Log messages of the fleet: read model and control topic. Event ids: Fleet's band in
/// <c>LogEventBands</c>.</summary>
internal static partial class FleetLog
{
    [LoggerMessage(6000, LogLevel.Warning, "An observation was not replicated to {Topic}: {Reason}")]
    public static partial void ObservationNotReplicated(ILogger logger, string topic, string reason);

    [LoggerMessage(
        6001,
        LogLevel.Error,
        "The fleet read model stopped reading {Topic}; this instance answers only its own symbols and is not ready"
    )]
    public static partial void ObservationReplicaFailed(ILogger logger, string topic, Exception exception);

    [LoggerMessage(6002, LogLevel.Information, "Fleet read model caught up: {Symbols} symbols")]
    public static partial void ObservationReplicaCaughtUp(ILogger logger, int symbols);

    [LoggerMessage(6003, LogLevel.Warning, "Skipped {Topic} [{Partition}] @{Offset}: {Reason}")]
    public static partial void ObservationSkipped(
        ILogger logger,
        string topic,
        int partition,
        long offset,
        string reason
    );

    [LoggerMessage(6004, LogLevel.Warning, "Control topic {Topic} not readable yet: {Reason}; retrying")]
    public static partial void ControlTopicUnavailable(ILogger logger, string topic, string reason);

    [LoggerMessage(
        6005,
        LogLevel.Information,
        "Control topic {Topic} read: generation {Generation}, {Promotions} promotions applied"
    )]
    public static partial void ControlCaughtUp(ILogger logger, string topic, long generation, int promotions);

    [LoggerMessage(
        6006,
        LogLevel.Error,
        "Stopped reading control topic {Topic}: promotions and reloads no longer reach this instance"
    )]
    public static partial void ControlFailed(ILogger logger, string topic, Exception exception);

    [LoggerMessage(
        6010,
        LogLevel.Warning,
        "The reader of {Topic} did not close within {Seconds} s and was left to finish on its own"
    )]
    public static partial void ControlReaderNotClosed(ILogger logger, string topic, double seconds);

    [LoggerMessage(6007, LogLevel.Warning, "Skipped control record {Topic} @{Offset}: {Reason}")]
    public static partial void ControlSkipped(ILogger logger, string topic, long offset, string reason);

    [LoggerMessage(6008, LogLevel.Error, "Control {Command} at generation {Generation} not applied here: {Reason}")]
    public static partial void ControlNotApplied(ILogger logger, string command, long generation, string reason);

    [LoggerMessage(
        6009,
        LogLevel.Information,
        "Control {Command} from {IssuedBy} applied: generation {Generation}, {Promotions} promotions"
    )]
    public static partial void ControlApplied(
        ILogger logger,
        string command,
        long generation,
        string issuedBy,
        int promotions
    );

    [LoggerMessage(
        6011,
        LogLevel.Error,
        "Stopped reading the positions table {Topic}: decisions of mapped symbols wait for Risk:BookAlignmentTimeout"
    )]
    public static partial void PositionsReaderFailed(ILogger logger, string topic, Exception exception);

    [LoggerMessage(6012, LogLevel.Warning, "Skipped positions record {Topic} [{Partition}] @{Offset}: {Reason}")]
    public static partial void PositionSkipped(ILogger logger, string topic, int partition, long offset, string reason);

    [LoggerMessage(
        6013,
        LogLevel.Warning,
        "Decided {Symbol} at {AsOfMs} without the positions of input partitions {Partitions}: they had not arrived "
            + "within Risk:BookAlignmentTimeout"
    )]
    public static partial void BookIncomplete(ILogger logger, string symbol, long asOfMs, string partitions);

    [LoggerMessage(
        6014,
        LogLevel.Error,
        "The position {Symbol}'s decision {DecisionId} left was not written to the positions table; the book's other "
            + "decisions wait for Risk:BookAlignmentTimeout"
    )]
    public static partial void PositionNotWritten(
        ILogger logger,
        string symbol,
        string decisionId,
        Exception exception
    );
}
