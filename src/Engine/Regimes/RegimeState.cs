namespace Inference.Streaming.Engine.Regimes;

/// <summary>Bull, bear and sideways probabilities with their Shannon entropy in nats.</summary>
public readonly record struct RegimeState(double Bull, double Bear, double Sideways, double Entropy)
{
    /// <summary>The prior before any update: 1/3 each.</summary>
    public static RegimeState Prior { get; } = FromProbabilities(1.0 / 3, 1.0 / 3, 1.0 / 3);

    /// <summary>How far the three probabilities may sum from 1 before the update is refused.</summary>
    public const double SumTolerance = 0.01;

    /// <summary>
    /// Validates and renormalises: each probability finite and in [0, 1], their sum within
    /// <see cref="SumTolerance"/> of 1; otherwise null with a reason. The entropy is always computed
    /// from the (renormalised) probabilities: a sender's value is not trusted, only checked for sanity.
    /// </summary>
    public static RegimeState? TryCreate(
        double bull,
        double bear,
        double sideways,
        double? entropy,
        out string? problem
    )
    {
        if (!double.IsFinite(bull) || !double.IsFinite(bear) || !double.IsFinite(sideways))
        {
            problem = "a regime probability is not finite";
            return null;
        }

        if (bull is < 0 or > 1 || bear is < 0 or > 1 || sideways is < 0 or > 1)
        {
            problem = FormattableString.Invariant(
                $"regime probabilities ({bull}, {bear}, {sideways}) must each be in [0, 1]"
            );
            return null;
        }

        var total = bull + bear + sideways;
        if (Math.Abs(total - 1.0) > SumTolerance)
        {
            problem = FormattableString.Invariant(
                $"regime probabilities sum to {total}, not 1 (tolerance {SumTolerance})"
            );
            return null;
        }

        if (entropy is { } given && (!double.IsFinite(given) || given < 0))
        {
            problem = "the entropy is negative or not finite";
            return null;
        }

        problem = null;
        return FromProbabilities(bull / total, bear / total, sideways / total);
    }

    public static RegimeState FromProbabilities(double bull, double bear, double sideways) =>
        new(bull, bear, sideways, EntropyTerm(bull) + EntropyTerm(bear) + EntropyTerm(sideways));

    private static double EntropyTerm(double p) => p > 0 ? -p * Math.Log(p) : 0.0;
}
