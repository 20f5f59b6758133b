namespace Inference.Streaming.Engine.Inference;

/// <summary>What a loaded model reports about itself (models list, forensics).</summary>
public sealed record ModelInfo(
    string Name,
    string Version,
    string Path,
    DateTimeOffset LoadedAt,
    string Device,
    long Parameters,
    string Sha256,
    int InputWidth,
    CheckpointFormat Format,
    string FeatureLayout,
    IReadOnlyList<string> ActionMap
);
