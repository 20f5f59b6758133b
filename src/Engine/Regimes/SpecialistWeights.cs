namespace Inference.Streaming.Engine.Regimes;

/// <summary>Weights of the bull, bear and sideways specialists; they sum to 1.</summary>
public readonly record struct SpecialistWeights(double Bull, double Bear, double Sideways);
