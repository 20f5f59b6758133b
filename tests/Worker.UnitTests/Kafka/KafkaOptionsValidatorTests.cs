using Inference.Streaming.Worker.Kafka;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.UnitTests.Kafka;

public sealed class KafkaOptionsValidatorTests
{
    private readonly KafkaOptionsValidator _validator = new();

    [Fact]
    public void TheDefaultsAreValid() => Assert.True(_validator.Validate(null, new KafkaOptions()).Succeeded);

    [Fact]
    public void TicksAndRegimesMustBeCoPartitioned()
    {
        var options = new KafkaOptions();
        options.Topics.RegimeUpdates.Partitions = 3;

        var result = _validator.Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("Kafka:Topics:RegimeUpdates:Partitions", result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fnv1a_random", null, "Kafka:Partitioner 'fnv1a_random' is not one of")]
    [InlineData("murmur2_random", "consistent_random", "Kafka:Producer:partitioner 'consistent_random' differs")]
    [InlineData("consistent_random", null, null)]
    public void ThePartitionerIsOneTheWorkerCanCheckAndEveryProducerTakesIt(
        string partitioner,
        string? producerSetting,
        string? problem
    )
    {
        var options = new KafkaOptions { Partitioner = partitioner };
        if (producerSetting is not null)
        {
            options.Producer["partitioner"] = producerSetting;
        }

        var result = _validator.Validate(null, options);

        Assert.Equal(problem is not null, result.Failed);
        if (problem is not null)
        {
            Assert.Contains(problem, result.FailureMessage, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void TwoTopicsWithOneNameAreRefused()
    {
        var options = new KafkaOptions();
        options.Topics.DecisionForensics.Name = options.Topics.TradingDecisions.Name;

        var result = _validator.Validate(null, options);

        Assert.Contains("Kafka:Topics:DecisionForensics:Name", result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData((short)0)]
    [InlineData((short)-2)]
    public void AReplicationFactorOfZeroOrBelowMinusOneIsRefused(short replication)
    {
        var options = new KafkaOptions();
        options.Topics.InferenceState.ReplicationFactor = replication;

        Assert.Contains(
            "Kafka:Topics:InferenceState:ReplicationFactor",
            _validator.Validate(null, options).FailureMessage,
            StringComparison.Ordinal
        );
    }

    [Fact]
    public void ARealClusterNeedsARegistryUrl()
    {
        var kafka = Options.Create(new KafkaOptions { BootstrapServers = "kafka:9092" });
        var validator = new SchemaRegistryOptionsValidator(kafka);

        Assert.Contains(
            "SchemaRegistry:Url",
            validator.Validate(null, new SchemaRegistryOptions()).FailureMessage,
            StringComparison.Ordinal
        );
        Assert.Contains(
            "ftp://x",
            validator.Validate(null, new SchemaRegistryOptions { Url = "ftp://x" }).FailureMessage,
            StringComparison.Ordinal
        );
        Assert.True(validator.Validate(null, new SchemaRegistryOptions { Url = "http://registry:8081" }).Succeeded);
        Assert.True(
            new SchemaRegistryOptionsValidator(Options.Create(new KafkaOptions()))
                .Validate(null, new SchemaRegistryOptions())
                .Succeeded
        );
    }
}
