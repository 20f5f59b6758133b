using Inference.Streaming.Contracts.Rest;

namespace Inference.Streaming.PredictApi;

/// <summary>A reload that failed or was refused as a whole; <see cref="Current"/> is what keeps serving.</summary>
public sealed class ModelsReloadFailedException(
    string message,
    ModelsResponse? current,
    Exception? inner = null,
    bool refused = false
) : Exception(message, inner)
{
    public ModelsResponse? Current { get; } = current;

    /// <summary>Refused (the directory is missing or lost files the serving set has): 422, not 503.</summary>
    public bool Refused { get; } = refused;
}
