using Avro.Generic;
using Confluent.Kafka;
using Confluent.SchemaRegistry.Serdes;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.IntegrationTests.Kafka;
using Inference.Streaming.Worker.Kafka;
using Inference.Streaming.Worker.State;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.IntegrationTests.State;

/// <summary>The changelog restores records written with the previous schema version (BACKWARD compatibility).</summary>
[Collection(KafkaClusterGroup.Name)]
public sealed class SnapshotCompatibilityTests(KafkaFixture kafka)
{
    // SymbolStateSnapshot as first committed (state_version 1): no state payload yet.
    private const string VersionOne = """
        {"type":"record","name":"SymbolStateSnapshot","namespace":"Inference.Streaming.Contracts.Events","fields":[
          {"name":"symbol","type":"string"},
          {"name":"as_of","type":{"type":"long","logicalType":"timestamp-millis"}},
          {"name":"state_version","type":"int","default":1},
          {"name":"last_input_partition","type":["null","int"],"default":null},
          {"name":"last_input_offset","type":["null","long"],"default":null}]}
        """;

    [Fact]
    public async Task ASnapshotWrittenWithVersionOneStillRestores()
    {
        var topic = await kafka.CreateTopicAsync("state-v1", 1);
        var v1 = (Avro.RecordSchema)Avro.Schema.Parse(VersionOne);
        var old = new GenericRecord(v1);
        old.Add("symbol", "OLD");
        old.Add("as_of", new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        old.Add("state_version", 1);
        old.Add("last_input_partition", 0);
        old.Add("last_input_offset", 41L);
        using (var producer = kafka.CreateProducer())
        {
            var v1Bytes = await new AvroSerializer<GenericRecord>(kafka.Registry).SerializeAsync(
                old,
                new SerializationContext(MessageComponentType.Value, topic)
            );
            await producer.ProduceAsync(
                new TopicPartition(topic, 0),
                new Message<string, byte[]> { Key = "OLD", Value = v1Bytes }
            );
            var marker = StateCodec.Checkpoint(
                new PartitionState(0, 60_000, 100_000) { TicksOffset = 41, RegimesOffset = 3 },
                1_767_225_600_000
            );
            var v2Bytes = await new ContractSerde<SymbolStateSnapshot>(kafka.Registry).SerializeAsync(marker, topic);
            await producer.ProduceAsync(
                new TopicPartition(topic, 0),
                new Message<string, byte[]> { Key = StateCodec.CheckpointKey, Value = v2Bytes }
            );
        }

        var kafkaOptions = Options.Create(
            new KafkaOptions { BootstrapServers = kafka.BootstrapServers, StaticMembership = false }
        );
        kafkaOptions.Value.Topics.InferenceState.Name = topic;
        var (clients, _) = kafka.Clients(kafkaOptions);
        using var meters = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new PipelineMetrics(meters.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        using var output = new KafkaOutput(clients, new KafkaConnectivity(metrics, TimeProvider.System), metrics);
        var store = new StateStore(
            output,
            clients,
            kafka.Registry,
            kafkaOptions,
            Options.Create(new FeatureOptions()),
            Options.Create(new StateOptions()),
            metrics,
            TimeProvider.System,
            NullLogger<StateStore>.Instance,
            Options.Create(new SchemaRegistryOptions())
        );

        var (restored, checkpoint) = store.Restore(0);

        Assert.NotNull(checkpoint);
        Assert.Equal(41, checkpoint.ticks_offset);
        Assert.Equal(3, restored.RegimesOffset);
        var symbol = Assert.Single(restored.Symbols).Value;
        Assert.Equal("OLD", symbol.Symbol);
        Assert.Equal(0, symbol.Indicators.BarCount);
        Assert.Equal(100_000, symbol.Portfolio.Cash);
        Assert.False(symbol.Bars.HasOpenBar);
    }
}
