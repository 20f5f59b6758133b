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
            .PostConfigure<IConfiguration>(
                (kafka, configuration) =>
                {
                    // The regime service's changelog has a partition per input partition: unless set, as many as
                    // market-ticks, whatever that count is.
                    var key = $"{KafkaOptions.Section}:Topics:{nameof(TopicsOptions.RegimeDetectorState)}:Partitions";
                    if (configuration[key] is null)
                    {
                        kafka.Topics.RegimeDetectorState.Partitions = kafka.Topics.MarketTicks.Partitions;
                    }
                }
            )
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<KafkaOptions>, KafkaOptionsValidator>();
        services.AddOptions<SchemaRegistryOptions>().BindConfiguration(SchemaRegistryOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SchemaRegistryOptions>, SchemaRegistryOptionsValidator>();
        return services;
    }
}
