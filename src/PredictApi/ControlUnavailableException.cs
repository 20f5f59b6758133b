namespace Inference.Streaming.PredictApi;

/// <summary>A cluster-wide control command could not be issued, or this instance had not applied it in time:
/// 503 (nothing changed, or every instance applies it when it reads it).</summary>
public sealed class ControlUnavailableException(string message) : Exception(message);
