namespace Inference.Streaming.Engine.Inference;

/// <summary>A reload that failed as a whole; the previous model set keeps serving.</summary>
public sealed class ModelReloadException : Exception
{
    public ModelReloadException(string message, Exception inner)
        : base(message, inner) { }

    /// <summary>A reload refused because the directory went backwards (missing, or files of the serving set
    /// gone): nothing failed, and nothing changed.</summary>
    public ModelReloadException(string message)
        : base(message) => Refused = true;

    /// <summary>True when the reload was refused as a regression rather than failed.</summary>
    public bool Refused { get; }
}
