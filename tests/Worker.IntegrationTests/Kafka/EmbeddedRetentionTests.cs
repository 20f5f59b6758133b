using Confluent.Kafka;
using Inference.Streaming.Worker.Embedded;
using Inference.Streaming.Worker.Hosting;
using Inference.Streaming.Worker.Kafka;
using Inference.Streaming.Worker.State;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Inference.Streaming.Worker.IntegrationTests.Kafka;

/// <summary>The embedded broker's retention, against the mock broker itself, on a test clock.</summary>
public sealed class EmbeddedRetentionTests : IAsyncLifetime
{
    private readonly EmbeddedKafka _embedded = new(
        Options.Create(new EmbeddedOptions { Brokers = 1 }),
        NullLogger<EmbeddedKafka>.Instance
    );
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 9, 0, 0, TimeSpan.Zero));

    public Task InitializeAsync() => _embedded.StartAsync(CancellationToken.None);

    public async Task DisposeAsync() => await _embedded.DisposeAsync();

    [Fact]
    public void RecordsGoOnlyOnceTheyHaveBeenKeptForTheTopicsRetentionAndATopicWithMinusOneKeepsAll()
    {
        var kafka = Topics(("short", "60000"), ("forever", "-1"));
        var retention = new EmbeddedRetention(
            _embedded,
            Options.Create(new EmbeddedOptions { Retention = TimeSpan.FromHours(1) }),
            kafka,
            _time,
            NullLogger<EmbeddedRetention>.Instance
        );
        Assert.Equal(["short", "inference-state"], retention.Topics.Select(t => t.Topic.Name));
        Assert.Equal([TimeSpan.FromMinutes(1), TimeSpan.FromHours(1)], retention.Topics.Select(t => t.Retention));

        using var reader = new ConsumerBuilder<Ignore, Ignore>(
            new ConsumerConfig { BootstrapServers = _embedded.BootstrapServers, GroupId = "retention-test" }
        ).Build();
        Produce("short", 10);
        Produce("forever", 10);
        retention.Sweep(reader, CancellationToken.None);
        Assert.Equal((0, 10), Watermarks(reader, "short"));

        Produce("short", 5);
        _time.Advance(TimeSpan.FromSeconds(59));
        retention.Sweep(reader, CancellationToken.None);
        Assert.Equal((0, 15), Watermarks(reader, "short"));

        // A minute after the first sweep, what had been written by then goes; what came later stays.
        _time.Advance(TimeSpan.FromSeconds(1));
        retention.Sweep(reader, CancellationToken.None);
        Assert.Equal((10, 15), Watermarks(reader, "short"));
        Assert.Equal((0, 10), Watermarks(reader, "forever"));

        _time.Advance(TimeSpan.FromMinutes(1));
        retention.Sweep(reader, CancellationToken.None);
        Assert.Equal((15, 15), Watermarks(reader, "short"));
    }

    [Fact]
    public void AWorkerRefusesToStartWhenItsChangelogWouldNotKeepTwoRefreshIntervals()
    {
        var kafka = Topics(("short", "60000"), ("forever", "-1"));
        var state = Options.Create(new StateOptions { RefreshInterval = TimeSpan.FromMinutes(1) });
        var validator = new EmbeddedStateRetentionValidator(kafka, state);

        // Registered for the worker's EmbeddedOptions, which are validated on start.
        var refused = validator.Validate(null, new EmbeddedOptions { Retention = TimeSpan.FromMinutes(1) });
        var kept = validator.Validate(null, new EmbeddedOptions { Retention = TimeSpan.FromMinutes(3) });

        Assert.True(refused.Failed);
        Assert.Contains("State:RefreshInterval", refused.FailureMessage, StringComparison.Ordinal);
        Assert.True(kept.Succeeded);
    }

    private IOptions<KafkaOptions> Topics(
        (string Name, string RetentionMs) first,
        (string Name, string RetentionMs) second
    )
    {
        var kafka = new KafkaOptions();
        foreach (var (_, topic) in kafka.Topics.All())
        {
            topic.Config["retention.ms"] = "-1";
            topic.Partitions = 1;
        }

        kafka.Topics.MarketTicks.Name = first.Name;
        kafka.Topics.MarketTicks.Config["retention.ms"] = first.RetentionMs;
        kafka.Topics.RegimeUpdates.Name = second.Name;
        kafka.Topics.RegimeUpdates.Config["retention.ms"] = second.RetentionMs;
        // The changelog takes Embedded:Retention.
        kafka.Topics.InferenceState.Config.Remove("retention.ms");
        foreach (var (_, topic) in kafka.Topics.All())
        {
            _embedded.Cluster.CreateTopic(topic.Name, 1, 1);
        }

        return Options.Create(kafka);
    }

    private void Produce(string topic, int count)
    {
        using var producer = new ProducerBuilder<Null, string>(
            new ProducerConfig { BootstrapServers = _embedded.BootstrapServers }
        ).Build();
        for (var i = 0; i < count; i++)
        {
            producer.Produce(topic, new Message<Null, string> { Value = "r" + i });
        }

        Assert.Equal(0, producer.Flush(TimeSpan.FromSeconds(10)));
    }

    private static (long Low, long High) Watermarks(IConsumer<Ignore, Ignore> reader, string topic)
    {
        var watermarks = reader.QueryWatermarkOffsets(new TopicPartition(topic, 0), TimeSpan.FromSeconds(5));
        return (watermarks.Low.Value, watermarks.High.Value);
    }
}
