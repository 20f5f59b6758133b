namespace Inference.Streaming.Worker.IntegrationTests.Kafka;

/// <summary>Tests that share one <see cref="KafkaFixture"/> (one broker for the run).</summary>
[CollectionDefinition(Name)]
public sealed class KafkaClusterGroup : ICollectionFixture<KafkaFixture>
{
    public const string Name = "kafka";
}

/// <summary>The same scenarios against Apache Kafka and Schema Registry containers (skipped, with the reason, without a
/// Docker engine).</summary>
[CollectionDefinition(Name)]
public sealed class ApacheKafkaGroup : ICollectionFixture<ApacheKafkaFixture>
{
    public const string Name = "apache-kafka-containers";
}

/// <summary>
/// Tests that must not share the machine: xUnit runs this collection alone, after the parallel ones,
/// on a broker of its own. The symbol-flood test is here: under the full suite's load on a 2-core
/// machine it has twice read its input again while keeping its state (1,692 symbol-limit letters
/// for 804), a cause not found yet; the worker now logs and counts offset resets, and the test
/// prints the group's and the worker's warnings, so the next occurrence says more.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SoloKafkaGroup : ICollectionFixture<KafkaFixture>
{
    public const string Name = "kafka-solo";
}
