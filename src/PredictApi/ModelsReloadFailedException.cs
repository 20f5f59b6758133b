using Inference.Streaming.Contracts.Rest;

namespace Inference.Streaming.PredictApi;

/// <summary>A reload that failed as a whole; <see cref="Current"/> is what keeps serving.</summary>
public sealed class ModelsReloadFailedException(string message, ModelsResponse? current, Exception? inner = null)
    : Exception(message, inner)
{
    public ModelsResponse? Current { get; } = current;
}
