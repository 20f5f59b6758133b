using System.Text.Json.Serialization;

namespace Inference.Streaming.Contracts.Rest;

/// <summary>Body of <c>POST /api/v1/predict</c>, as the seed's FastAPI service takes it.</summary>
public sealed class PredictRequest
{
    /// <summary>1–20 characters; upper-cased.</summary>
    [JsonPropertyName("symbol")]
    public string? Symbol { get; set; }

    /// <summary>A time inside the bars the worker holds for the symbol; the latest closed bar when absent.</summary>
    [JsonPropertyName("timestamp")]
    public DateTimeOffset? Timestamp { get; set; }

    /// <summary><c>argmax</c> or <c>mixture</c>; anything else is a 400.</summary>
    [JsonPropertyName("strategy_override")]
    public string? StrategyOverride { get; set; }

    [JsonPropertyName("risk_check")]
    public bool RiskCheck { get; set; } = true;

    [JsonPropertyName("explain")]
    public bool Explain { get; set; }
}
