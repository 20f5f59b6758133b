namespace Inference.Streaming.Worker.Regimes;

/// <summary>Bull, bear and sideways probabilities with their Shannon entropy in nats.</summary>
public readonly record struct RegimeState(double Bull, double Bear, double Sideways, double Entropy)
{
    /// <summary>The prior before any update: 1/3 each.</summary>
    public static RegimeState Prior { get; } = FromProbabilities(1.0 / 3, 1.0 / 3, 1.0 / 3);

    /// <summary>
    /// Validates and renormalises; returns null with a reason when a probability is negative or not
    /// finite, or all are zero. Entropy is computed when <paramref name="entropy"/> is absent.
    /// </summary>
    public static RegimeState? TryCreate(double bull, double bear, double sideways, double? entropy, out string? problem)
    {
        if (!double.IsFinite(bull) || !double.IsFinite(bear) || !double.IsFinite(sideways))
        {
            problem = "a regime probability is not finite";
            return null;
        }

        if (bull < 0 || bear < 0 || sideways < 0)
        {
            problem = "a regime probability is negative";
            return null;
        }

        var total = bull + bear + sideways;
        if (total <= 0)
        {
            problem = "all regime probabilities are zero";
            return null;
        }

        if (entropy is { } given && (!double.IsFinite(given) || given < 0))
        {
            problem = "the entropy is negative or not finite";
            return null;
        }

        problem = null;
        var state = FromProbabilities(bull / total, bear / total, sideways / total);
        // A sender's entropy is kept only when the probabilities needed no renormalisation.
        return entropy is { } e && Math.Abs(total - 1.0) < 1e-9 ? state with { Entropy = e } : state;
    }

    public static RegimeState FromProbabilities(double bull, double bear, double sideways) =>
        new(bull, bear, sideways, EntropyTerm(bull) + EntropyTerm(bear) + EntropyTerm(sideways));

    private static double EntropyTerm(double p) => p > 0 ? -p * Math.Log(p) : 0.0;
}
