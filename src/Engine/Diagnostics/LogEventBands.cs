namespace Inference.Streaming.Engine.Diagnostics;

/// <summary>
/// The event-id band of each area's log messages, in one place: an operator filtering by event id can tell the
/// area from the number, and a new message takes the next free id in its own band. An area is the namespace of
/// the class that declares the message (<c>Ingest/IngestLog.cs</c>, ...); a test checks that every message has an
/// explicit id inside its area's band and that no two messages share one.
/// </summary>
public static class LogEventBands
{
    public static IReadOnlyList<(string Namespace, int First, int Last)> All { get; } =
    [
        ("Inference.Streaming.Worker.Hosting", 1000, 1099),
        ("Inference.Streaming.Worker.Ingest", 2000, 2099),
        ("Inference.Streaming.Worker.Kafka", 2100, 2199),
        ("Inference.Streaming.Worker.State", 2200, 2299),
        ("Inference.Streaming.Worker.Publishing", 2300, 2399),
        ("Inference.Streaming.Worker.Embedded", 3000, 3099),
        ("Inference.Streaming.Worker.Regimes", 4000, 4199),
        ("Inference.Streaming.Engine.Inference", 5000, 5099),
        ("Inference.Streaming.Worker.Decisions", 5100, 5199),
        ("Inference.Streaming.Worker.Fleet", 6000, 6099),
        ("Inference.Streaming.Worker.Diagnostics", 7000, 7099),
        ("Inference.Streaming.Worker.DemoFeed", 8000, 8099),
        ("Inference.Streaming.PredictApi", 9000, 9099),
    ];
}
