using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;

namespace Inference.Streaming.Worker.Diagnostics;

/// <summary>
/// The worker's one <see cref="ActivitySource"/>, with spans named and tagged by the OpenTelemetry messaging
/// conventions. A decided bar is a <c>process market-ticks</c> span (consumer kind) whose parent is the W3C trace
/// context of the tick that closed the bar, which it also links, tagged with that tick's partition and offset;
/// inside it, a <c>publish trading-decisions</c> span (producer kind) that lasts until the broker acknowledges
/// the decision and then carries the partition and offset it was written at. The publish span's context travels
/// in the decision's and forensics' <c>traceparent</c> headers.
/// </summary>
public sealed class InferenceTelemetry : IDisposable
{
    public const string SourceName = "Inference.Streaming";

    // The process span a publish span belongs to, stopped with it.
    private const string ProcessProperty = "inference.process";

    public ActivitySource Source { get; } =
        new(SourceName, typeof(InferenceTelemetry).Assembly.GetName().Version?.ToString());

    /// <summary>The longest <c>traceparent</c> header read (a version-00 one is 55 characters; later versions may
    /// append fields).</summary>
    public const int LongestTraceParent = 256;

    /// <summary>A W3C <c>traceparent</c> as version 00 writes it, from the trace id, span id and sampled flag
    /// <paramref name="traceParent"/> holds; null when it is not a valid trace context.</summary>
    public static string? Canonical(string traceParent) =>
        ActivityContext.TryParse(traceParent, null, out var context)
            ? string.Create(
                CultureInfo.InvariantCulture,
                $"00-{context.TraceId.ToHexString()}-{context.SpanId.ToHexString()}-{(int)context.TraceFlags:x2}"
            )
            : null;

    /// <summary>Starts the process span of a closed bar and the publish span of its decision inside it, without
    /// leaving either current on the calling thread; returns the publish span (null when nobody listens).</summary>
    public Activity? StartDecision(
        TopicPartitionOffset input,
        string destination,
        string symbol,
        string? parentTraceParent
    )
    {
        var parent =
            parentTraceParent is not null && ActivityContext.TryParse(parentTraceParent, null, out var context)
                ? context
                : default;
        var previous = Activity.Current;
        var process = Source.StartActivity(
            "process " + input.Topic,
            ActivityKind.Consumer,
            parent,
            links: parent == default ? null : [new ActivityLink(parent)]
        );
        process
            ?.SetTag("messaging.system", "kafka")
            .SetTag("messaging.operation.type", "process")
            .SetTag("messaging.operation.name", "process")
            .SetTag("messaging.destination.name", input.Topic)
            .SetTag("messaging.destination.partition.id", input.Partition.Value.ToString(CultureInfo.InvariantCulture))
            .SetTag("messaging.kafka.offset", input.Offset.Value)
            .SetTag("messaging.kafka.message.key", symbol);
        var publish = Source.StartActivity("publish " + destination, ActivityKind.Producer, process?.Context ?? parent);
        Activity.Current = previous;
        publish
            ?.SetTag("messaging.system", "kafka")
            .SetTag("messaging.operation.type", "send")
            .SetTag("messaging.operation.name", "publish")
            .SetTag("messaging.destination.name", destination)
            .SetTag("messaging.kafka.message.key", symbol);
        if (publish is null)
        {
            process?.Stop();
        }
        else if (process is not null)
        {
            publish.SetCustomProperty(ProcessProperty, process);
        }

        return publish;
    }

    /// <summary>The decision reached the broker at <paramref name="position"/> (or failed to, with
    /// <paramref name="error"/>): tags the publish span and ends it and its process span.</summary>
    public static void Delivered(Activity? publish, TopicPartitionOffset position, string? error = null)
    {
        if (publish is null)
        {
            return;
        }

        if (error is null)
        {
            publish
                .SetTag(
                    "messaging.destination.partition.id",
                    position.Partition.Value.ToString(CultureInfo.InvariantCulture)
                )
                .SetTag("messaging.kafka.offset", position.Offset.Value);
        }
        else
        {
            publish.SetStatus(ActivityStatusCode.Error, error);
        }

        End(publish);
    }

    /// <summary>Ends a publish span and the process span it belongs to.</summary>
    public static void End(Activity? publish)
    {
        if (publish is null)
        {
            return;
        }

        publish.Stop();
        if (publish.GetCustomProperty(ProcessProperty) is Activity process)
        {
            if (publish.Status == ActivityStatusCode.Error)
            {
                process.SetStatus(ActivityStatusCode.Error, publish.StatusDescription);
            }

            process.Stop();
        }
    }

    public void Dispose() => Source.Dispose();
}
