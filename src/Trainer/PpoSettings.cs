using System.Globalization;

namespace Inference.Streaming.Trainer;

/// <summary>
/// PPO hyperparameters. The defaults are the seed's (learning rate 3e-4, discount 0.99, clip 0.2,
/// 4 epochs per update, entropy 0.01, value 0.5, gradient-norm clip 0.5) with the rollout shape
/// and episode length chosen for 1-minute bars on a 2-core machine.
/// </summary>
public sealed record PpoSettings
{
    public double LearningRate { get; init; } = 3e-4;

    public double Gamma { get; init; } = 0.99;

    public double GaeLambda { get; init; } = 0.95;

    public double Clip { get; init; } = 0.2;

    public int Epochs { get; init; } = 4;

    public double EntropyCoefficient { get; init; } = 0.01;

    public double ValueCoefficient { get; init; } = 0.5;

    public double MaxGradNorm { get; init; } = 0.5;

    /// <summary>Environments stepped side by side; one rollout has <see cref="Environments"/> × <see cref="Steps"/>
    /// transitions.</summary>
    public int Environments { get; init; } = 16;

    public int Steps { get; init; } = 128;

    public int MinibatchSize { get; init; } = 256;

    /// <summary>Rollout-and-update rounds per model.</summary>
    public int Updates { get; init; } = 250;

    /// <summary>Decisions per episode: one trading day of 1-minute bars.</summary>
    public int EpisodeBars { get; init; } = 390;

    /// <summary>Rewards are the portfolio's relative value change per bar times this.</summary>
    public double RewardScale { get; init; } = 100;

    /// <summary>Intra-op threads; results are reproducible for a given count on a given machine.</summary>
    public int Threads { get; init; } = 2;

    public IReadOnlyDictionary<string, string> Describe() =>
        new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["algorithm"] = "PPO (clipped surrogate, GAE)",
            ["learning_rate"] = Invariant(LearningRate),
            ["gamma"] = Invariant(Gamma),
            ["gae_lambda"] = Invariant(GaeLambda),
            ["clip"] = Invariant(Clip),
            ["epochs"] = Invariant(Epochs),
            ["entropy_coefficient"] = Invariant(EntropyCoefficient),
            ["value_coefficient"] = Invariant(ValueCoefficient),
            ["max_grad_norm"] = Invariant(MaxGradNorm),
            ["environments"] = Invariant(Environments),
            ["steps"] = Invariant(Steps),
            ["minibatch_size"] = Invariant(MinibatchSize),
            ["updates"] = Invariant(Updates),
            ["episode_bars"] = Invariant(EpisodeBars),
            ["reward_scale"] = Invariant(RewardScale),
            ["threads"] = Invariant(Threads),
        };

    private static string Invariant(IFormattable value) => value.ToString(null, CultureInfo.InvariantCulture);
}
