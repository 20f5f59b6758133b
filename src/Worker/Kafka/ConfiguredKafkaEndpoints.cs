using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Kafka;

/// <summary>Endpoints of a real cluster, from <c>Kafka:BootstrapServers</c> and <c>SchemaRegistry:Url</c>.</summary>
public sealed class ConfiguredKafkaEndpoints(IOptions<KafkaOptions> kafka, IOptions<SchemaRegistryOptions> registry)
    : IKafkaEndpoints
{
    public string BootstrapServers => kafka.Value.BootstrapServers!;

    public string SchemaRegistryUrl => registry.Value.Url!;
}
