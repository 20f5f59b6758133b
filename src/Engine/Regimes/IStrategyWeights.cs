namespace Inference.Streaming.Engine.Regimes;

/// <summary>Turns regime probabilities into specialist weights; a weights topic can replace the rule later.</summary>
public interface IStrategyWeights
{
    SpecialistWeights WeightsFor(RegimeState regime);
}
