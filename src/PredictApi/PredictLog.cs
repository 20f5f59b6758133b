using Microsoft.Extensions.Logging;

namespace Inference.Streaming.PredictApi;

/// <summary>The HTTP API's log messages (event ids 9000–9099).</summary>
internal static partial class PredictLog
{
    [LoggerMessage(9000, LogLevel.Debug, "Predict request body refused with {Status}: {Reason}")]
    public static partial void BadRequestBody(ILogger logger, int status, string reason);

    [LoggerMessage(9001, LogLevel.Debug, "Predict client went away mid-request ({Error})")]
    public static partial void ClientAborted(ILogger logger, string error);
}
