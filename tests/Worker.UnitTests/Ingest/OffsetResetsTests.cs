using Confluent.Kafka;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Ingest;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Inference.Streaming.Worker.UnitTests.Ingest;

/// <summary>librdkafka reports a reset offset only in its log: the worker must notice, count and say it.</summary>
public sealed class OffsetResetsTests : IDisposable
{
    // As librdkafka 2.16 writes it (captured from the worker against the embedded broker).
    private const string ResetLine =
        "[thrd:main]: market-ticks [3]: offset reset (at offset 829 (leader epoch -1), broker 3) to cached BEGINNING "
        + "offset offset 1197 (leader epoch -1): fetch failed due to requested offset not available on the broker: "
        + "Broker: Offset out of range";

    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeLogger _logger = new();
    private readonly MetricCollector<long> _resets;
    private readonly OffsetResets _watch;

    public OffsetResetsTests()
    {
        var metrics = new PipelineMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        _resets = new MetricCollector<long>(
            _services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
            PipelineMetrics.MeterName,
            "inference_offset_resets"
        );
        _watch = new OffsetResets(metrics, _logger);
    }

    public void Dispose()
    {
        _resets.Dispose();
        _services.Dispose();
    }

    [Fact]
    public void AResetIsCountedByTopicAndTheFirstRecordAfterItSaysWhereReadingResumed()
    {
        _watch.OnClientLog(new LogMessage("rdkafka#consumer-1", SyslogLevel.Warning, "OFFSET", ResetLine));

        var counted = Assert.Single(_resets.GetMeasurementSnapshot());
        Assert.Equal(1, counted.Value);
        Assert.Equal("market-ticks", counted.Tags["topic"]);
        Assert.Contains(
            "market-ticks[3]: the broker no longer has offset 829",
            _logger.LatestRecord.Message,
            StringComparison.Ordinal
        );

        _watch.OnRecord(Record("market-ticks", 2, 900));
        Assert.DoesNotContain("resumed", _logger.LatestRecord.Message, StringComparison.Ordinal);
        _watch.OnRecord(Record("market-ticks", 3, 1197));
        Assert.Equal(LogLevel.Warning, _logger.LatestRecord.Level);
        Assert.Contains(
            "reading resumed at offset 1197 after an offset reset at offset 829",
            _logger.LatestRecord.Message,
            StringComparison.Ordinal
        );

        // Said once: later records of the partition are ordinary.
        var said = _logger.Collector.Count;
        _watch.OnRecord(Record("market-ticks", 3, 1198));
        Assert.Equal(said, _logger.Collector.Count);
    }

    [Fact]
    public void OtherClientLinesGoToTheLogAtTheirLevelAndCountNothing()
    {
        _watch.OnClientLog(
            new LogMessage(
                "rdkafka#consumer-1",
                SyslogLevel.Error,
                "FAIL",
                "127.0.0.1:9092/1: Connect to ipv4#127.0.0.1:9092 failed: Connection refused"
            )
        );
        _watch.OnClientLog(
            new LogMessage(
                "rdkafka#consumer-1",
                SyslogLevel.Debug,
                "OFFSET",
                "[thrd:main]: market-ticks [3]: offset 829 committed"
            )
        );

        Assert.Empty(_resets.GetMeasurementSnapshot());
        Assert.Equal(LogLevel.Error, _logger.Collector.GetSnapshot()[0].Level);
        Assert.Contains("librdkafka FAIL", _logger.Collector.GetSnapshot()[0].Message, StringComparison.Ordinal);
        Assert.Equal(LogLevel.Debug, _logger.LatestRecord.Level);
    }

    private static ConsumeResult<byte[]?, byte[]> Record(string topic, int partition, long offset) =>
        new()
        {
            TopicPartitionOffset = new TopicPartitionOffset(topic, new Partition(partition), new Offset(offset)),
            Message = new Message<byte[]?, byte[]> { Value = [] },
        };
}
