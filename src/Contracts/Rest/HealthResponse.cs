using System.Text.Json.Serialization;

namespace Inference.Streaming.Contracts.Rest;

/// <summary>Body of <c>GET /health</c>: the seed's fields plus the checks behind them.</summary>
public sealed record HealthResponse(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("model_loaded")] bool ModelLoaded,
    [property: JsonPropertyName("gpu_available")] bool GpuAvailable,
    [property: JsonPropertyName("timestamp")] DateTimeOffset Timestamp,
    [property: JsonPropertyName("checks")] IReadOnlyDictionary<string, HealthCheckEntry> Checks
);

/// <summary>One health check's status and why.</summary>
public sealed record HealthCheckEntry(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("description")] string? Description
);
