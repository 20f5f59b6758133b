using Avro.Specific;
using Confluent.Kafka;
using Inference.Streaming.Worker.Kafka;

namespace Inference.Streaming.Worker.IntegrationTests.Kafka;

[Collection(KafkaClusterGroup.Name)]
public sealed class ContractRoundTripTests(KafkaFixture kafka)
{
    [Fact]
    public Task MarketTickRoundTripsThroughTheBrokerAndRegistry() => RoundTripAsync(SampleContracts.Tick());

    [Fact]
    public Task RegimeUpdateRoundTripsThroughTheBrokerAndRegistry() => RoundTripAsync(SampleContracts.Regime());

    [Fact]
    public Task TradingDecisionRoundTripsThroughTheBrokerAndRegistry() => RoundTripAsync(SampleContracts.Decision());

    [Fact]
    public Task DecisionForensicsRoundTripsThroughTheBrokerAndRegistry() => RoundTripAsync(SampleContracts.Forensics());

    [Fact]
    public Task SymbolStateSnapshotRoundTripsThroughTheBrokerAndRegistry() => RoundTripAsync(SampleContracts.Snapshot());

    [Fact]
    public async Task OptionalFieldsLeftEmptyComeBackEmpty()
    {
        var tick = SampleContracts.Tick();
        tick.bid = null;
        tick.ask = null;
        tick.sequence = null;

        await RoundTripAsync(tick);
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
