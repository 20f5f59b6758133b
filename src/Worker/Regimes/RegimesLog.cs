namespace Inference.Streaming.Worker.Regimes;

/// <summary>Log messages of regime detectors. Event ids: Regimes's band in <c>LogEventBands</c>.</summary>
internal static partial class RegimesLog
{
    [LoggerMessage(
        4100,
        LogLevel.Information,
        "Regime detector {Name} version {Version} loaded (parameters SHA-256 {Sha256})"
    )]
    public static partial void RegimeDetectorLoaded(ILogger logger, string name, string version, string sha256);

    [LoggerMessage(4101, LogLevel.Error, "Regime detector {Name} refused; the previous detector goes on: {Reason}")]
    public static partial void RegimeDetectorRefused(ILogger logger, string name, string reason);
}
