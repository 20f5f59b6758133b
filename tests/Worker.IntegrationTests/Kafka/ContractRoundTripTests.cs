using Avro.Specific;
using Confluent.Kafka;
using Inference.Streaming.Tests;
using Inference.Streaming.Worker.Kafka;

namespace Inference.Streaming.Worker.IntegrationTests.Kafka;

[Collection(KafkaClusterGroup.Name)]
public sealed class ContractRoundTripTests(KafkaFixture kafka)
{
    [Fact]
    public Task MarketTickRoundTripsThroughTheBrokerAndRegistry() => RoundTripAsync(SampleRecords.Tick());

    [Fact]
    public Task RegimeUpdateRoundTripsThroughTheBrokerAndRegistry() => RoundTripAsync(SampleRecords.Regime());

    [Fact]
    public Task TradingDecisionRoundTripsThroughTheBrokerAndRegistry() => RoundTripAsync(SampleRecords.Decision());

    [Fact]
    public Task DecisionForensicsRoundTripsThroughTheBrokerAndRegistry() => RoundTripAsync(SampleRecords.Forensics());

    [Fact]
    public Task SymbolStateSnapshotRoundTripsThroughTheBrokerAndRegistry() => RoundTripAsync(SampleRecords.Snapshot());

    [Fact]
    public async Task OptionalFieldsLeftEmptyComeBackEmpty()
    {
        var tick = SampleRecords.Tick();
        tick.bid = null;
        tick.ask = null;
        tick.sequence = null;

        await RoundTripAsync(tick);
    }

    [Fact]
    public async Task TheCallingThreadPathWritesAndReadsExactlyWhatConfluentsSerdeDoes()
    {
        await SameAsConfluentAsync(SampleRecords.Tick());
        await SameAsConfluentAsync(SampleRecords.Regime());
        await SameAsConfluentAsync(SampleRecords.Decision());
        await SameAsConfluentAsync(SampleRecords.Forensics());
        await SameAsConfluentAsync(SampleRecords.Snapshot());
    }

    [Fact]
    public async Task ATruncatedBodyOnTheCachedPathIsStillMalformed()
    {
        var topic = await kafka.CreateTopicAsync("truncated-cached");
        var serde = new ContractSerde<Contracts.Events.MarketTick>(kafka.Registry);
        var bytes = serde.Serialize(SampleRecords.Tick(), topic);
        _ = serde.Deserialize(bytes, topic);

        var error = Assert.Throws<ContractDecodeException>(() => serde.Deserialize(bytes.AsMemory(0, 9), topic));

        Assert.Equal(DecodeFailure.Malformed, error.Reason);
    }

    // First call through Confluent's serde, later calls through the cached Avro reader and writer:
    // the bytes and the decoded records must be the same either way.
    private async Task SameAsConfluentAsync<T>(T record)
        where T : class, ISpecificRecord
    {
        var topic = await kafka.CreateTopicAsync("same-" + typeof(T).Name.ToLowerInvariant());
        var serde = new ContractSerde<T>(kafka.Registry);
        var confluent = await serde.SerializeAsync(record, topic);

        var first = serde.Serialize(record, topic);
        var cached = serde.Serialize(record, topic);

        Assert.Equal(confluent, first);
        Assert.Equal(confluent, cached);
        AvroAssert.Equal(await serde.DeserializeAsync(confluent, topic), serde.Deserialize(confluent, topic));
        AvroAssert.Equal(record, serde.Deserialize(cached, topic));
    }

    private async Task RoundTripAsync<T>(T sent)
        where T : class, ISpecificRecord
    {
        var topic = await kafka.CreateTopicAsync(typeof(T).Name.ToLowerInvariant());
        var serde = new ContractSerde<T>(kafka.Registry);
        using (var producer = kafka.CreateProducer())
        {
            var bytes = await serde.SerializeAsync(sent, topic);
            await producer.ProduceAsync(topic, new Message<string, byte[]> { Key = "AAPL", Value = bytes });
        }

        using var consumer = kafka.CreateConsumer();
        consumer.Subscribe(topic);
        var record = consumer.Consume(TimeSpan.FromSeconds(30));
        Assert.NotNull(record);
        Assert.Equal("AAPL", record.Message.Key);
        Assert.Equal(0, record.Message.Value[0]);

        var received = await serde.DeserializeAsync(record.Message.Value, topic);

        AvroAssert.Equal(sent, received);
        consumer.Close();
    }
}
