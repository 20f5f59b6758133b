namespace Inference.Streaming.Worker.Hosting;

/// <summary>Log messages of the host: start-up banner and API exposure. Event ids: Hosting's band in
/// <c>LogEventBands</c>.</summary>
internal static partial class HostingLog
{
    [LoggerMessage(
        1000,
        LogLevel.Information,
        "Inference.Streaming {Mode} ready: kafka {Bootstrap}, registry {Registry}, api {Api}"
    )]
    public static partial void Banner(ILogger logger, string mode, string bootstrap, string registry, string api);

    [LoggerMessage(
        1001,
        LogLevel.Warning,
        "The API at {Addresses} is open: no Api:Keys or Api:Jwt, and Api:AllowUnauthenticated lets anyone who can "
            + "reach it reload and promote models"
    )]
    public static partial void ApiOpen(ILogger logger, string addresses);
}
