namespace Inference.Streaming.Worker.IntegrationTests.Kafka;

/// <summary>Tests that share one <see cref="KafkaFixture"/> (one broker for the run).</summary>
[CollectionDefinition(Name)]
public sealed class KafkaClusterGroup : ICollectionFixture<KafkaFixture>
{
    public const string Name = "kafka";
}
