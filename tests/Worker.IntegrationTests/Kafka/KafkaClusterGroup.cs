namespace Inference.Streaming.Worker.IntegrationTests.Kafka;

/// <summary>Tests that share one <see cref="KafkaFixture"/> (one broker for the run).</summary>
[CollectionDefinition(Name)]
public sealed class KafkaClusterGroup : ICollectionFixture<KafkaFixture>
{
    public const string Name = "kafka";
}

/// <summary>The same scenarios against Apache Kafka and Schema Registry containers (skipped, with the reason, without a Docker engine).</summary>
[CollectionDefinition(Name)]
public sealed class ApacheKafkaGroup : ICollectionFixture<ApacheKafkaFixture>
{
    public const string Name = "apache-kafka-containers";
}
