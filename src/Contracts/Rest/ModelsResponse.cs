using System.Text.Json.Serialization;

namespace Inference.Streaming.Contracts.Rest;

/// <summary>
/// Body of <c>GET /api/v1/models</c> and <c>POST /api/v1/models/reload</c>: the seed's shape, a map
/// keyed by model name and <c>total_models</c>, plus the refusals, the set's generation and directory.
/// </summary>
public sealed record ModelsResponse(
    [property: JsonPropertyName("models")] IReadOnlyDictionary<string, ModelDescription> Models,
    [property: JsonPropertyName("total_models")] int TotalModels,
    [property: JsonPropertyName("errors")] IReadOnlyList<ModelErrorDescription> Errors,
    [property: JsonPropertyName("generation")] long Generation,
    [property: JsonPropertyName("directory")] string Directory
)
{
    /// <summary>The worker's: <c>champion</c> (its decisions are live) or <c>challenger</c>; absent without a
    /// challenger.</summary>
    [JsonPropertyName("role")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Role { get; init; }

    /// <summary>The challenger's set, described the same way (<c>Models:Challenger:Directory</c>).</summary>
    [JsonPropertyName("challenger")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ModelsResponse? Challenger { get; init; }

    /// <summary>The experiment running, if any (<c>Experiments:*</c>).</summary>
    [JsonPropertyName("experiment")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ExperimentDescription? Experiment { get; init; }

    /// <summary>Promotions since the worker started (<c>POST /api/v1/models/promote</c>); odd means the configured
    /// challenger directory is champion now.</summary>
    [JsonPropertyName("promotions")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? Promotions { get; init; }

    [JsonPropertyName("promoted_at")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? PromotedAt { get; init; }

    /// <summary>The cluster-wide control this instance has applied (<c>{Kafka:GroupId}-control</c>).</summary>
    [JsonPropertyName("control")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ControlDescription? Control { get; init; }
}

/// <summary>The control generation an instance has applied (the same on every instance that has read the same
/// commands), and why its last command could not be applied here, if it could not.</summary>
public sealed record ControlDescription(
    [property: JsonPropertyName("generation")] long Generation,
    [property: JsonPropertyName("last_error")] string? LastError
);

/// <summary>A champion/challenger experiment: <c>shadow</c> or <c>ab</c>, its id, and the challenger's share of
/// symbols in A/B mode.</summary>
public sealed record ExperimentDescription(
    [property: JsonPropertyName("mode")] string Mode,
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("challenger_share")] double ChallengerShare
);

/// <summary>One loaded model: the seed's fields, then the worker's.</summary>
public sealed record ModelDescription(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("loaded_at")] DateTimeOffset LoadedAt,
    [property: JsonPropertyName("device")] string Device,
    [property: JsonPropertyName("parameters")] long Parameters,
    [property: JsonPropertyName("sha256")] string Sha256,
    [property: JsonPropertyName("input_width")] int InputWidth,
    [property: JsonPropertyName("format")] string Format,
    [property: JsonPropertyName("feature_layout")] string FeatureLayout
);

/// <summary>A model file that was refused.</summary>
public sealed record ModelErrorDescription(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("reason")] string Reason
);
