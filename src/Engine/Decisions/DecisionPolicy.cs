using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Engine.Regimes;

namespace Inference.Streaming.Engine.Decisions;

/// <summary>Selection, action, confidence and quantity: the seed's rules (docs/design.md, Regimes and
/// selection).</summary>
public static class DecisionPolicy
{
    public const int BaseQuantity = 100;
    private static readonly double MaxEntropy = Math.Log(3);

    /// <summary>Parses a strategy name; an unknown name is an error, never a fallback.</summary>
    public static bool TryParseStrategy(string? name, out SelectionStrategy strategy)
    {
        strategy = default;
        return name is not null
            && !int.TryParse(name, out _)
            && Enum.TryParse(name, ignoreCase: true, out strategy)
            && Enum.IsDefined(strategy);
    }

    public static RowPlan Plan(SelectionStrategy strategy, SpecialistWeights weights) =>
        strategy == SelectionStrategy.Mixture
            ? RowPlan.Mixture(weights.Bull, weights.Bear, weights.Sideways)
            : RowPlan.ForModel(ArgmaxSpecialist(weights));

    /// <summary>The specialist with the highest weight; ties go to bull, then bear, then sideways.</summary>
    public static string ArgmaxSpecialist(SpecialistWeights weights)
    {
        var name = ModelNames.Bull;
        var best = weights.Bull;
        if (weights.Bear > best)
        {
            (name, best) = (ModelNames.Bear, weights.Bear);
        }

        if (weights.Sideways > best)
        {
            name = ModelNames.Sideways;
        }

        return name;
    }

    /// <summary>Argmax of the final probabilities (0 HOLD, 1 BUY, 2 SELL; ties to the lower index) and its
    /// probability.</summary>
    public static (TradeAction Action, double Confidence) Act(ReadOnlySpan<double> probabilities)
    {
        var best = 0;
        for (var a = 1; a < probabilities.Length; a++)
        {
            if (probabilities[a] > probabilities[best])
            {
                best = a;
            }
        }

        return ((TradeAction)best, probabilities[best]);
    }

    /// <summary>
    /// HOLD → 0; otherwise max(1, floor(100 · confidence · (1 − H / ln 3))). The seed used 1 − H with H
    /// in nats, which goes negative above 1 nat; normalising by ln 3 keeps its intent.
    /// </summary>
    public static int Quantity(TradeAction action, double confidence, double entropy)
    {
        if (action == TradeAction.HOLD)
        {
            return 0;
        }

        var certainty = Math.Clamp(1.0 - (entropy / MaxEntropy), 0.0, 1.0);
        return Math.Max(1, (int)Math.Floor(BaseQuantity * confidence * certainty));
    }
}
