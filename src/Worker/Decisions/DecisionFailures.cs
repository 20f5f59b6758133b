using System.Globalization;
using System.Text;
using System.Text.Json;
using Inference.Streaming.Engine.Diagnostics;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Publishing;

namespace Inference.Streaming.Worker.Decisions;

/// <summary>
/// A bar no model could decide is never silent: it is logged, counted by reason and dead-lettered as
/// <c>decision-failed</c> (with its symbol, bar and features), and its input record completes once that dead
/// letter is delivered, so offsets keep moving. The portfolio is left as it was, as for a HOLD.
/// </summary>
public sealed class DecisionFailures(IDeadLetterSink deadLetters, PipelineMetrics metrics, ILogger logger)
{
    public void Fail(DecisionRequest request, string reason, string detail)
    {
        var symbol = request.Symbol.Symbol;
        var barEnd = DateTimeOffset.FromUnixTimeMilliseconds(request.Bar.EndMs);
        DecisionsLog.DecisionNotMade(logger, symbol, barEnd.UtcDateTime, reason, LogText.Quote(detail));
        metrics.DecisionFailed(reason);
        InferenceTelemetry.End(request.Activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, reason));
        try
        {
            var failed = new FailedBar(
                symbol,
                DateTimeOffset.FromUnixTimeMilliseconds(request.Bar.StartMs),
                barEnd,
                reason,
                detail,
                request.Features
            );
            deadLetters.Send(
                new DeadLetter(
                    request.Input.topic,
                    request.Input.partition,
                    request.Input.offset,
                    Encoding.UTF8.GetBytes(symbol),
                    JsonSerializer.SerializeToUtf8Bytes(failed, FailedBar.Json),
                    null,
                    DeadLetterReasons.DecisionFailed,
                    $"no decision for {symbol} bar ending {barEnd:O}: {reason}: {detail}",
                    [
                        ("dlq.failure", reason),
                        ("dlq.symbol", symbol),
                        ("dlq.bar_end", barEnd.ToString("O", CultureInfo.InvariantCulture)),
                        ("content-type", "application/json"),
                    ]
                ),
                request.Source
            );
        }
        finally
        {
            request.Completion.TrySetException(new DecisionFailedException(reason, detail));
        }
    }
}
