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

    /// <summary>
    /// As in the seed, the name of a loaded model to decide with alone (<c>bull_specialist</c>,
    /// <c>bear_specialist</c>, <c>sideways_specialist</c>, <c>universal</c>); or a selection rule,
    /// <c>argmax</c> or <c>mixture</c>. Anything else, or a model that is not loaded, is a 400.
    /// </summary>
    [JsonPropertyName("strategy_override")]
    public string? StrategyOverride { get; set; }

    [JsonPropertyName("risk_check")]
    public bool RiskCheck { get; set; } = true;

    [JsonPropertyName("explain")]
    public bool Explain { get; set; }

    /// <summary>The worker's: <c>integrated_gradients</c> (the default, against the all-zero observation) or
    /// <c>expected_gradients</c> (SHAP's GradientExplainer, against the model set's background set). Giving it asks
    /// for an explanation.</summary>
    [JsonPropertyName("explain_method")]
    public string? ExplainMethod { get; set; }

    /// <summary>
    /// The worker's: <c>champion</c> or <c>challenger</c>, the model set to answer with when a challenger is loaded
    /// (<c>Models:Challenger:Directory</c>). Only a caller with the <c>models:write</c> scope may ask; without it a
    /// symbol's requests follow its arm (A/B) or the champion.
    /// </summary>
    [JsonPropertyName("arm")]
    public string? Arm { get; set; }
}
