using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Kafka;

/// <summary>The Kafka and Schema Registry settings, bound once and validated at start, for the worker and the commands
/// that read its topics.</summary>
public static class KafkaServiceExtensions
{
    public static IServiceCollection AddKafkaOptions(this IServiceCollection services)
    {
        services
            .AddOptions<KafkaOptions>()
            .BindConfiguration(KafkaOptions.Section)
            .PostConfigure<IConfiguration>(ApplyDerivedDefaults)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<KafkaOptions>, KafkaOptionsValidator>();
        services.AddOptions<SchemaRegistryOptions>().BindConfiguration(SchemaRegistryOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SchemaRegistryOptions>, SchemaRegistryOptionsValidator>();
        return services;
    }

    /// <summary>
    /// The settings that follow from others unless set: the regime service's changelog and the fleet's read model
    /// have as many partitions as <c>market-ticks</c>, as has the positions table; the read model, the positions table
    /// and the control topic are named after the group (<c>{Kafka:GroupId}-observations</c>,
    /// <c>{Kafka:GroupId}-positions</c>, <c>{Kafka:GroupId}-control</c>).
    /// </summary>
    public static void ApplyDerivedDefaults(KafkaOptions kafka, IConfiguration configuration)
    {
        var topics = kafka.Topics;
        if (configuration[PartitionsKey(nameof(TopicsOptions.RegimeDetectorState))] is null)
        {
            topics.RegimeDetectorState.Partitions = topics.MarketTicks.Partitions;
        }

        if (configuration[PartitionsKey(nameof(TopicsOptions.SymbolObservations))] is null)
        {
            topics.SymbolObservations.Partitions = topics.MarketTicks.Partitions;
        }

        if (configuration[NameKey(nameof(TopicsOptions.SymbolObservations))] is null)
        {
            topics.SymbolObservations.Name = $"{kafka.GroupId}-observations";
        }

        if (configuration[PartitionsKey(nameof(TopicsOptions.Positions))] is null)
        {
            topics.Positions.Partitions = topics.MarketTicks.Partitions;
        }

        if (configuration[NameKey(nameof(TopicsOptions.Positions))] is null)
        {
            topics.Positions.Name = $"{kafka.GroupId}-positions";
        }

        if (configuration[NameKey(nameof(TopicsOptions.Control))] is null)
        {
            topics.Control.Name = $"{kafka.GroupId}-control";
        }
    }

    private static string PartitionsKey(string topic) => $"{KafkaOptions.Section}:Topics:{topic}:Partitions";

    private static string NameKey(string topic) => $"{KafkaOptions.Section}:Topics:{topic}:Name";
}
