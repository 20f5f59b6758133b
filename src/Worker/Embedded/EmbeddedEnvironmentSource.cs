using Inference.Streaming.Contracts.Rest;
using Inference.Streaming.PredictApi;
using Inference.Streaming.Worker.Kafka;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Embedded;

/// <summary>Describes the running embedded broker and registry for <c>GET /api/v1/embedded</c> and the
/// banner.</summary>
public sealed class EmbeddedEnvironmentSource(EmbeddedKafka embedded, IServer server, IOptions<KafkaOptions> kafka)
    : IEmbeddedEnvironmentSource
{
    public EmbeddedEnvironment? Current =>
        new(
            embedded.BootstrapServers,
            embedded.SchemaRegistryUrl,
            [.. server.Features.Get<IServerAddressesFeature>()?.Addresses ?? []],
            embedded.Cluster.BrokerCount,
            kafka.Value.Topics.All().ToDictionary(t => t.Topic.Name, t => t.Topic.Partitions, StringComparer.Ordinal)
        );
}
