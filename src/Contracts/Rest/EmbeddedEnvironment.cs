using System.Text.Json.Serialization;

namespace Inference.Streaming.Contracts.Rest;

/// <summary>Body of <c>GET /api/v1/embedded</c>: where the embedded parts listen.</summary>
public sealed record EmbeddedEnvironment(
    [property: JsonPropertyName("bootstrap_servers")] string BootstrapServers,
    [property: JsonPropertyName("schema_registry_url")] string SchemaRegistryUrl,
    [property: JsonPropertyName("api_urls")] IReadOnlyList<string> ApiUrls,
    [property: JsonPropertyName("brokers")] int Brokers,
    [property: JsonPropertyName("topics")] IReadOnlyDictionary<string, int> Topics
);
