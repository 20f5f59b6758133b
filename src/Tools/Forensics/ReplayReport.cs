using System.Text.Json.Serialization;

namespace Inference.Streaming.Tools.Forensics;

/// <summary>What a replay found: counts, how the models and configuration compare with the recorded ones, and every
/// difference.</summary>
public sealed class ReplayReport
{
    /// <summary><c>faithful</c> when every record's models and configuration are the recorded ones; <c>what-if</c>
    /// otherwise; <c>incomplete</c> when records of the source could not be read, whatever the rest says.</summary>
    [JsonPropertyName("mode")]
    public string Mode =>
        Unreadable > 0 ? "incomplete"
        : WhatIf > 0 ? "what-if"
        : "faithful";

    /// <summary>Records of the source that could not be decoded (listed under <see cref="Problems"/>): a replay
    /// cannot vouch for them.</summary>
    [JsonPropertyName("unreadable")]
    public long Unreadable { get; set; }

    [JsonPropertyName("read")]
    public long Read { get; set; }

    [JsonPropertyName("identical")]
    public long Identical { get; set; }

    [JsonPropertyName("different")]
    public long Different { get; set; }

    /// <summary>Differences in records replayed with their recorded models and configuration: these should never
    /// happen.</summary>
    [JsonPropertyName("unexpected_differences")]
    public long UnexpectedDifferences { get; set; }

    /// <summary>Records replayed with other models or another configuration than recorded.</summary>
    [JsonPropertyName("what_if")]
    public long WhatIf { get; set; }

    [JsonPropertyName("not_replayable")]
    public long NotReplayable { get; set; }

    [JsonPropertyName("models")]
    public List<ModelComparison> Models { get; } = [];

    [JsonPropertyName("configuration")]
    public ConfigurationComparison Configuration { get; set; } = new();

    /// <summary>Problems with single records (not replayable, not readable), in reading order.</summary>
    [JsonPropertyName("problems")]
    public List<string> Problems { get; } = [];

    [JsonPropertyName("differences")]
    public List<DecisionDifference> Differences { get; } = [];

    [JsonIgnore]
    public bool Passed => UnexpectedDifferences == 0 && Unreadable == 0;
}

/// <summary>One model: the checkpoint(s) the records name against the one replay loaded.</summary>
public sealed record ModelComparison(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("recorded_sha256")] IReadOnlyList<string> RecordedSha256,
    [property: JsonPropertyName("replay_sha256")] string? ReplaySha256
);

public sealed record ConfigurationComparison
{
    [JsonPropertyName("recorded_fingerprints")]
    public List<string> Recorded { get; init; } = [];

    [JsonPropertyName("replay_fingerprint")]
    public string Replay { get; init; } = string.Empty;

    [JsonPropertyName("same")]
    public bool Same => Recorded.All(r => r == Replay);

    /// <summary>Who computed the recorded decisions' regimes: name/version/sha256 of a detector the worker ran,
    /// or <c>regime-updates</c>. A detector other than the replay's makes the replay a what-if (the
    /// fingerprints differ); the recorded regime probabilities are what the replay decides with.</summary>
    [JsonPropertyName("recorded_regime_detectors")]
    public List<string> RecordedRegimeDetectors { get; init; } = [];

    [JsonPropertyName("replay_regime_detector")]
    public string ReplayRegimeDetector { get; init; } = Replayer.TopicRegimes;

    [JsonPropertyName("regime_detector_same")]
    public bool RegimeDetectorSame => RecordedRegimeDetectors.All(r => r == ReplayRegimeDetector);
}

/// <summary>A decision that replayed differently, with every field that changed.</summary>
public sealed record DecisionDifference(
    [property: JsonPropertyName("decision_id")] string DecisionId,
    [property: JsonPropertyName("symbol")] string Symbol,
    [property: JsonPropertyName("bar_end")] DateTime BarEnd,
    [property: JsonPropertyName("expected")] bool Expected,
    [property: JsonPropertyName("replayed_decision_id")] string ReplayedDecisionId,
    [property: JsonPropertyName("fields")] IReadOnlyList<FieldDifference> Fields
);

public sealed record FieldDifference(
    [property: JsonPropertyName("field")] string Field,
    [property: JsonPropertyName("recorded")] string Recorded,
    [property: JsonPropertyName("replayed")] string Replayed
);
