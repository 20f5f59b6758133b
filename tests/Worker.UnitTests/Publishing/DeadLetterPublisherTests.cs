using System.Text;
using Confluent.Kafka;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Ingest;
using Inference.Streaming.Worker.Kafka;
using Inference.Streaming.Worker.Publishing;
using Inference.Streaming.Worker.UnitTests.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.UnitTests.Publishing;

/// <summary>The dead-letter publisher against a fake producer: what it sends, and what it does when sending
/// fails.</summary>
public sealed class DeadLetterPublisherTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeKafkaClientFactory _kafka = new();
    private readonly KafkaOutput _output;
    private readonly DeadLetterPublisher _publisher;

    public DeadLetterPublisherTests()
    {
        var metrics = new PipelineMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        _output = new KafkaOutput(_kafka, new KafkaConnectivity(metrics, TimeProvider.System), metrics);
        _publisher = new DeadLetterPublisher(
            _output,
            Options.Create(new KafkaOptions()),
            metrics,
            NullLogger<DeadLetterPublisher>.Instance
        );
    }

    public void Dispose() => _services.Dispose();

    [Fact]
    public void ARecordThatFitsIsSentWholeWithItsCoordinatesAndItsOwnDlqHeadersRenamed()
    {
        var source = new TrackedRecord(41);
        var headers = new Headers { { "dlq.reason", "spoofed"u8.ToArray() }, { "traceparent", "00-x"u8.ToArray() } };

        _publisher.Send(Letter("abc"u8.ToArray(), headers), source);
        source.Complete();

        var (_, message) = Assert.Single(_kafka.Producer.Produced);
        Assert.Equal("abc"u8.ToArray(), message.Value);
        Assert.Equal(["spoofed"], Values(message, "dlq.original.reason"));
        Assert.Equal(["malformed"], Values(message, "dlq.reason"));
        Assert.Equal(["00-x"], Values(message, "traceparent"));
        Assert.Equal(["41"], Values(message, "dlq.offset"));
        Assert.Empty(Values(message, "dlq.truncated"));
        Assert.True(source.IsDone);
    }

    [Fact]
    public void ANullValueStaysNull()
    {
        _publisher.Send(Letter(null), new TrackedRecord(1));

        Assert.Null(Assert.Single(_kafka.Producer.Produced).Message.Value);
    }

    [Fact]
    public void ARecordTooLargeToCopyIsSentTruncatedWithItsSizes()
    {
        var value = new byte[999_000];
        new Random(3).NextBytes(value);

        _publisher.Send(Letter(value), new TrackedRecord(1));

        var (_, message) = Assert.Single(_kafka.Producer.Produced);
        Assert.Equal(value[..DeadLetterPublisher.TruncatedValueBytes], message.Value);
        Assert.Equal(["value"], Values(message, "dlq.truncated"));
        Assert.Equal(["999000"], Values(message, "dlq.value.size"));
        Assert.Contains("too large to dead-letter whole", Values(message, "dlq.detail")[0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ATruncatedCopyTheBrokerStillRefusesIsSentAsAReference(bool thrownLocally)
    {
        _kafka.Producer.Behaviour = m => m.Value is { Length: > 0 } ? (ErrorCode.MsgSizeTooLarge, thrownLocally) : null;
        var source = new TrackedRecord(1);

        _publisher.Send(Letter(new byte[5000]), source);
        source.Complete();

        Assert.Equal(2, _kafka.Producer.Produced.Count);
        var reference = _kafka.Producer.Produced[1].Message;
        Assert.Null(reference.Value);
        Assert.Equal(["reference"], Values(reference, "dlq.truncated"));
        Assert.Equal(["5000"], Values(reference, "dlq.value.size"));
        Assert.True(source.IsDone);
    }

    [Theory]
    [InlineData(ErrorCode.MsgSizeTooLarge, true)]
    [InlineData(ErrorCode.Local_MsgTimedOut, false)]
    [InlineData(ErrorCode.TopicAuthorizationFailed, false)]
    [InlineData(ErrorCode.Local_QueueFull, true)]
    public void ADeadLetterThatCannotBeDeliveredIsCountedLoggedAndSkipped(ErrorCode error, bool thrown)
    {
        _kafka.Producer.Behaviour = _ => (error, thrown);
        var source = new TrackedRecord(1);
        using var collector = new MetricCollector<long>(
            _services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
            PipelineMetrics.MeterName,
            "inference_dead_letters_failed"
        );

        _publisher.Send(Letter("x"u8.ToArray()), source);
        source.Complete();

        // Skipped: the input record is done, so its offset moves on.
        Assert.True(source.IsDone);
        var measurement = Assert.Single(collector.GetMeasurementSnapshot());
        Assert.Equal("malformed", measurement.Tags["reason"]);
    }

    private static DeadLetter Letter(byte[]? value, Headers? headers = null) =>
        new("market-ticks", 2, 41, "AAPL"u8.ToArray(), value, headers, "malformed", "not the wire format");

    private static List<string> Values(Message<byte[]?, byte[]> message, string key) =>
        [.. message.Headers.Where(h => h.Key == key).Select(h => Encoding.UTF8.GetString(h.GetValueBytes()))];
}
