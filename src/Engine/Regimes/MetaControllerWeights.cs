namespace Inference.Streaming.Engine.Regimes;

/// <summary>The seed's meta-controller rule: w_i = (p_i + 0.1) / Σ(p_j + 0.1).</summary>
public sealed class MetaControllerWeights : IStrategyWeights
{
    private const double Floor = 0.1;

    public SpecialistWeights WeightsFor(RegimeState regime)
    {
        var total = regime.Bull + regime.Bear + regime.Sideways + (3 * Floor);
        return new SpecialistWeights(
            (regime.Bull + Floor) / total,
            (regime.Bear + Floor) / total,
            (regime.Sideways + Floor) / total
        );
    }
}
