namespace Inference.Streaming.Engine.Inference;

/// <summary>A model that was refused, with the file and the reason.</summary>
public sealed record ModelLoadError(string Name, string Path, string Reason);
