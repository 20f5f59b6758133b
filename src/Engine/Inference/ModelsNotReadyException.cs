namespace Inference.Streaming.Engine.Inference;

/// <summary>No model can serve the request yet (not loaded, or every candidate refused).</summary>
public sealed class ModelsNotReadyException(string message) : Exception(message);
