namespace Inference.Streaming.Engine.Inference;

/// <summary>A reload that failed as a whole; the previous model set keeps serving.</summary>
public sealed class ModelReloadException(string message, Exception inner) : Exception(message, inner);
