using System.Text.Json.Serialization;

namespace Inference.Streaming.Contracts.Rest;

/// <summary>Body of <c>GET /</c>, as the seed answers it: what this service is and that it runs.</summary>
public sealed record ServiceInfo(
    [property: JsonPropertyName("service")] string Service,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("status")] string Status
);
