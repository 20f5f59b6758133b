using System.Text.Json.Serialization;

namespace Inference.Streaming.LoadGenerator;

/// <summary>One run's measurements; written to the JSON results file.</summary>
internal sealed record RunResult(
    [property: JsonPropertyName("target")] string Target,
    [property: JsonPropertyName("requests")] int Requests,
    [property: JsonPropertyName("concurrent")] int Concurrent,
    [property: JsonPropertyName("duration_s")] double DurationSeconds,
    [property: JsonPropertyName("requests_per_second")] double RequestsPerSecond,
    [property: JsonPropertyName("success_rate")] double SuccessRate,
    [property: JsonPropertyName("latency_ms")] IReadOnlyDictionary<string, double> LatencyMs,
    [property: JsonPropertyName("status_codes")] IReadOnlyDictionary<string, int> StatusCodes,
    [property: JsonPropertyName("error_types")] IReadOnlyDictionary<string, int> ErrorTypes,
    [property: JsonPropertyName("actions")] IReadOnlyDictionary<string, int> Actions
);
