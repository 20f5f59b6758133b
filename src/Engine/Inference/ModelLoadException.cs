namespace Inference.Streaming.Engine.Inference;

/// <summary>A model file that cannot be served; the message names the file and the reason.</summary>
public sealed class ModelLoadException(string path, string reason, Exception? inner = null)
    : Exception($"Model file '{path}' refused: {reason}", inner)
{
    public string Path { get; } = path;

    public string Reason { get; } = reason;
}
