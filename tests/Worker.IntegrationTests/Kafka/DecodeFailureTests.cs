using System.Buffers.Binary;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Tests;
using Inference.Streaming.Worker.Kafka;

namespace Inference.Streaming.Worker.IntegrationTests.Kafka;

[Collection(KafkaClusterGroup.Name)]
public sealed class DecodeFailureTests(KafkaFixture kafka)
{
    [Fact]
    public async Task BytesWithoutTheWireFormatAreMalformed()
    {
        var serde = new ContractSerde<MarketTick>(kafka.Registry);

        var error = await Assert.ThrowsAsync<ContractDecodeException>(() =>
            serde.DeserializeAsync("{\"symbol\":\"AAPL\"}"u8.ToArray(), "market-ticks")
        );

        Assert.Equal(DecodeFailure.Malformed, error.Reason);
        Assert.Equal("malformed", error.ReasonCode);
    }

    [Fact]
    public async Task AnUnknownSchemaIdIsReportedAsUnknownSchema()
    {
        var serde = new ContractSerde<MarketTick>(kafka.Registry);
        var bytes = new byte[12];
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(1, 4), 987_654);

        var error = await Assert.ThrowsAsync<ContractDecodeException>(() =>
            serde.DeserializeAsync(bytes, "market-ticks")
        );

        Assert.Equal(DecodeFailure.UnknownSchema, error.Reason);
        Assert.Contains("987654", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATruncatedAvroBodyIsMalformed()
    {
        var topic = await kafka.CreateTopicAsync("truncated");
        var serde = new ContractSerde<MarketTick>(kafka.Registry);
        var bytes = await serde.SerializeAsync(SampleRecords.Tick(), topic);

        var error = await Assert.ThrowsAsync<ContractDecodeException>(() =>
            serde.DeserializeAsync(bytes.AsMemory(0, 9), topic)
        );

        Assert.Equal(DecodeFailure.Malformed, error.Reason);
    }

    [Fact]
    public async Task ARecordOfAnotherContractIsNotReadAsATick()
    {
        var topic = await kafka.CreateTopicAsync("wrong-contract");
        var decisionBytes = await new ContractSerde<TradingDecision>(kafka.Registry).SerializeAsync(
            SampleRecords.Decision(),
            topic
        );

        var error = await Assert.ThrowsAsync<ContractDecodeException>(() =>
            new ContractSerde<MarketTick>(kafka.Registry).DeserializeAsync(decisionBytes, topic)
        );

        Assert.NotEqual(DecodeFailure.UnknownSchema, error.Reason);
    }
}
