namespace Inference.Streaming.Engine.Inference;

/// <summary>How the specialists decide a row (docs/design.md, Regimes and selection).</summary>
public enum SelectionStrategy
{
    /// <summary>The specialist with the highest weight (ties bull, bear, sideways); universal when it is
    /// missing.</summary>
    Argmax,

    /// <summary>All loaded specialists; probabilities are the weight-averaged mixture.</summary>
    Mixture,
}
