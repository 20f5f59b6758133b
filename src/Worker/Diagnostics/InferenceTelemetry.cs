using System.Diagnostics;

namespace Inference.Streaming.Worker.Diagnostics;

/// <summary>
/// The worker's one <see cref="ActivitySource"/>. A closed bar's decision is traced as a
/// producer span (OpenTelemetry messaging conventions) whose parent is the W3C trace context of
/// the tick that closed the bar, and whose context travels in the decision's and forensics'
/// <c>traceparent</c> headers.
/// </summary>
public sealed class InferenceTelemetry : IDisposable
{
    public const string SourceName = "Inference.Streaming";

    public ActivitySource Source { get; } =
        new(SourceName, typeof(InferenceTelemetry).Assembly.GetName().Version?.ToString());

    /// <summary>Starts the span for publishing one decision, without leaving it current on the calling
    /// thread.</summary>
    public Activity? StartDecision(string destination, string symbol, string? parentTraceParent)
    {
        var parent =
            parentTraceParent is not null && ActivityContext.TryParse(parentTraceParent, null, out var context)
                ? context
                : default;
        var previous = Activity.Current;
        var activity = Source.StartActivity(destination + " publish", ActivityKind.Producer, parent);
        Activity.Current = previous;
        activity
            ?.SetTag("messaging.system", "kafka")
            .SetTag("messaging.operation.type", "send")
            .SetTag("messaging.operation.name", "publish")
            .SetTag("messaging.destination.name", destination)
            .SetTag("messaging.kafka.message.key", symbol);
        return activity;
    }

    public void Dispose() => Source.Dispose();
}
