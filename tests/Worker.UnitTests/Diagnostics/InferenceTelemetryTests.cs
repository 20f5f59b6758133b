using System.Diagnostics;
using Confluent.Kafka;
using Inference.Streaming.Worker.Diagnostics;

namespace Inference.Streaming.Worker.UnitTests.Diagnostics;

/// <summary>
/// The spans of a decided bar follow the OpenTelemetry messaging conventions: <c>process market-ticks</c> (consumer)
/// under and linked to the tick's trace context, with the tick's partition and offset; inside it
/// <c>publish trading-decisions</c> (producer), ended by the broker's answer with the partition and offset the
/// decision was written at.
/// </summary>
public sealed class InferenceTelemetryTests : IDisposable
{
    private const string TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    private readonly List<Activity> _ended = [];
    private readonly ActivityListener _listener;

    public InferenceTelemetryTests()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == InferenceTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                lock (_ended)
                {
                    _ended.Add(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>Without a trace exporter a decision carries its tick's trace context on: only a valid one, and only as
    /// version 00 writes it, whatever else the header held.</summary>
    [Theory]
    [InlineData("00-" + TraceId + "-00f067aa0ba902b7-01", "00-" + TraceId + "-00f067aa0ba902b7-01")]
    [InlineData("00-" + TraceId + "-00f067aa0ba902b7-00", "00-" + TraceId + "-00f067aa0ba902b7-00")]
    [InlineData("00-" + TraceId + "-00F067AA0BA902B7-01", null)]
    // .NET's parser, like the worker's spans, takes version 00 alone.
    [InlineData("01-" + TraceId + "-00f067aa0ba902b7-01-later-fields", null)]
    [InlineData("00-00000000000000000000000000000000-00f067aa0ba902b7-01", null)]
    [InlineData("00-" + TraceId + "-0000000000000000-01", null)]
    [InlineData("00-x", null)]
    [InlineData("", null)]
    public void ATickTraceContextIsPassedOnOnlyWhenValidAndInItsCanonicalForm(string header, string? expected) =>
        Assert.Equal(expected, InferenceTelemetry.Canonical(header));

    [Fact]
    public void ABarIsAProcessSpanUnderTheTickAndItsDecisionAPublishSpanEndedByTheAcknowledgement()
    {
        using var telemetry = new InferenceTelemetry();
        var input = new TopicPartitionOffset("market-ticks", 3, 41);

        var publish = telemetry.StartDecision(input, "trading-decisions", "AAPL", $"00-{TraceId}-00f067aa0ba902b7-01");
        Assert.NotNull(publish);
        Assert.Null(Activity.Current); // nothing left current on the ingest thread
        Assert.Empty(Ended()); // both open until the broker answers

        InferenceTelemetry.Delivered(publish, new TopicPartitionOffset("trading-decisions", 3, 977));

        var ended = Ended();
        var process = Assert.Single(ended, a => a.DisplayName == "process market-ticks");
        var sent = Assert.Single(ended, a => a.DisplayName == "publish trading-decisions");
        Assert.Equal(ActivityKind.Consumer, process.Kind);
        Assert.Equal(TraceId, process.TraceId.ToHexString());
        Assert.Equal("00f067aa0ba902b7", process.ParentSpanId.ToHexString());
        Assert.Equal("00f067aa0ba902b7", Assert.Single(process.Links).Context.SpanId.ToHexString());
        Assert.Equal("3", process.GetTagItem("messaging.destination.partition.id"));
        Assert.Equal(41L, process.GetTagItem("messaging.kafka.offset"));
        Assert.Equal(ActivityKind.Producer, sent.Kind);
        Assert.Equal(process.SpanId, sent.ParentSpanId);
        Assert.Equal("send", sent.GetTagItem("messaging.operation.type"));
        Assert.Equal("3", sent.GetTagItem("messaging.destination.partition.id"));
        Assert.Equal(977L, sent.GetTagItem("messaging.kafka.offset"));
        Assert.Equal(ActivityStatusCode.Unset, sent.Status);
    }

    [Fact]
    public void ARefusedDecisionEndsBothSpansAsErrors()
    {
        using var telemetry = new InferenceTelemetry();

        var publish = telemetry.StartDecision(
            new TopicPartitionOffset("market-ticks", 0, 7),
            "trading-decisions",
            "MSFT",
            parentTraceParent: null
        );
        InferenceTelemetry.Delivered(
            publish,
            new TopicPartitionOffset("trading-decisions", 0, Offset.Unset),
            "timed out"
        );

        var ended = Ended();
        Assert.Equal(2, ended.Count);
        Assert.All(ended, a => Assert.Equal(ActivityStatusCode.Error, a.Status));
        Assert.Empty(Assert.Single(ended, a => a.Kind == ActivityKind.Consumer).Links); // no tick context to link
        Assert.Null(Assert.Single(ended, a => a.Kind == ActivityKind.Producer).GetTagItem("messaging.kafka.offset"));
    }

    public void Dispose() => _listener.Dispose();

    private List<Activity> Ended()
    {
        lock (_ended)
        {
            return [.. _ended];
        }
    }
}
