using System.Text.Json.Serialization;

namespace Inference.Streaming.Contracts.Rest;

/// <summary>Body of a successful <c>POST /api/v1/predict</c>: the seed's fields and shapes, plus extras.</summary>
public sealed record PredictResponse(
    [property: JsonPropertyName("decision_id")] string DecisionId,
    [property: JsonPropertyName("symbol")] string Symbol,
    [property: JsonPropertyName("action")] string Action,
    [property: JsonPropertyName("confidence")] double Confidence,
    [property: JsonPropertyName("recommended_quantity")] int RecommendedQuantity,
    [property: JsonPropertyName("regime_probabilities")] RegimeProbabilitiesDto RegimeProbabilities,
    [property: JsonPropertyName("strategy_weights")] StrategyWeightsDto StrategyWeights,
    [property: JsonPropertyName("risk_validation")] RiskValidationDto RiskValidation,
    [property: JsonPropertyName("metadata")] PredictMetadata Metadata
)
{
    /// <summary>Per-feature attributions when the request asked for <c>explain</c>.</summary>
    [JsonPropertyName("explanation")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ExplanationDto? Explanation { get; init; }
}

public sealed record RegimeProbabilitiesDto(
    [property: JsonPropertyName("bull")] double Bull,
    [property: JsonPropertyName("bear")] double Bear,
    [property: JsonPropertyName("sideways")] double Sideways,
    [property: JsonPropertyName("entropy")] double Entropy
);

public sealed record StrategyWeightsDto(
    [property: JsonPropertyName("bull_specialist")] double BullSpecialist,
    [property: JsonPropertyName("bear_specialist")] double BearSpecialist,
    [property: JsonPropertyName("sideways_specialist")] double SidewaysSpecialist
);

public sealed record RiskValidationDto(
    [property: JsonPropertyName("approved")] bool Approved,
    [property: JsonPropertyName("warnings")] IReadOnlyList<string> Warnings,
    [property: JsonPropertyName("checks")] RiskChecksDto Checks
);

/// <summary>Each check's status: <c>pass</c>, <c>warning</c> or <c>fail</c>.</summary>
public sealed record RiskChecksDto(
    [property: JsonPropertyName("position_limit")] string PositionLimit,
    [property: JsonPropertyName("concentration")] string Concentration,
    [property: JsonPropertyName("daily_loss_limit")] string DailyLossLimit
)
{
    [JsonPropertyName("leverage")]
    public string? Leverage { get; init; }
}

/// <summary>
/// The seed's metadata: <c>model_version</c> is the model that decided (<c>mixture</c> for a blend),
/// <c>ab_test</c> stays null until an experiment sets it; the model set's id is <c>model_set</c>.
/// </summary>
public sealed record PredictMetadata(
    [property: JsonPropertyName("model_version")] string ModelVersion,
    [property: JsonPropertyName("latency_ms")] double LatencyMs,
    [property: JsonPropertyName("timestamp")] DateTimeOffset Timestamp
)
{
    /// <summary>The seed's A/B test information; null while no experiment runs. Always written.</summary>
    [JsonPropertyName("ab_test")]
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public AbTestDto? AbTest { get; init; }

    /// <summary>Id of the model set that scored the request (the stream's decisions carry it as
    /// <c>model_version</c>).</summary>
    [JsonPropertyName("model_set")]
    public string? ModelSet { get; init; }

    [JsonPropertyName("selected_model")]
    public string? SelectedModel { get; init; }

    [JsonPropertyName("selection")]
    public string? Selection { get; init; }

    [JsonPropertyName("bar_end")]
    public DateTimeOffset? BarEnd { get; init; }

    /// <summary>The instance whose state answered: the owner of the symbol's partition when the bar was decided,
    /// whichever instance took the call (every instance reads the fleet's observations).</summary>
    [JsonPropertyName("served_by")]
    public string? ServedBy { get; init; }
}

/// <summary>An experiment and the arm that answered (the seed's <c>ab_test</c>).</summary>
public sealed record AbTestDto(
    [property: JsonPropertyName("experiment")] string Experiment,
    [property: JsonPropertyName("arm")] string Arm
);

/// <summary>Attributions of the chosen action's probability, by the method named: integrated gradients or expected
/// gradients.</summary>
public sealed record ExplanationDto(
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("baseline")] string Baseline,
    [property: JsonPropertyName("steps")] int Steps,
    [property: JsonPropertyName("target")] string Target,
    [property: JsonPropertyName("attributions")] IReadOnlyList<FeatureAttributionDto> Attributions,
    [property: JsonPropertyName("completeness_gap")] double CompletenessGap
)
{
    /// <summary>The target at the input.</summary>
    [JsonPropertyName("output")]
    public double? Output { get; init; }

    /// <summary>The target at the baseline; for expected gradients its mean over the whole background set.</summary>
    [JsonPropertyName("baseline_output")]
    public double? BaselineOutput { get; init; }

    /// <summary>How many baselines the attributions average over (expected gradients).</summary>
    [JsonPropertyName("baselines")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Baselines { get; init; }
}

public sealed record FeatureAttributionDto(
    [property: JsonPropertyName("feature")] string Feature,
    [property: JsonPropertyName("value")] double Value,
    [property: JsonPropertyName("attribution")] double Attribution
);
