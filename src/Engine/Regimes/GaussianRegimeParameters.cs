using System.Text.Json.Serialization;

namespace Inference.Streaming.Engine.Regimes;

/// <summary>
/// The probabilistic detector's parameter file (<c>models/regimes/probabilistic.json</c>): one Gaussian
/// per regime over the scaled features (<see cref="RegimeFeatures.TryScale"/>), the regime prior, the
/// transition matrix of the forward filter, the emission temperature and the probability floor.
/// Regimes are in the order bull, bear, sideways throughout.
/// </summary>
public sealed class GaussianRegimeParameters
{
    public const string FormatName = "inference-streaming/regime-detector/gaussian";

    public string Format { get; set; } = FormatName;

    public string Name { get; set; } = GaussianRegimeDetector.DefaultName;

    public string Version { get; set; } = "1";

    /// <summary><c>hmm</c>: forward filter with <see cref="Transition"/>; <c>mixture</c>: each bar on its own,
    /// weighted by <see cref="Prior"/>.</summary>
    public string Filter { get; set; } = GaussianRegimeDetector.HmmFilter;

    public string[] Features { get; set; } = [.. RegimeFeatures.ScaledNames];

    public double[] Prior { get; set; } = [];

    /// <summary>Row i: probabilities of the next bar's regime given regime i.</summary>
    public double[][] Transition { get; set; } = [];

    public double[][] Means { get; set; } = [];

    public double[][][] Covariances { get; set; } = [];

    /// <summary>Multiplies every log-likelihood (calibration: below 1 trusts one bar less).</summary>
    public double Temperature { get; set; } = 1.0;

    /// <summary>Each posterior is mixed with the uniform by this weight, so no regime is ever ruled out.</summary>
    public double Floor { get; set; } = 0.01;

    /// <summary>What the parameters were fitted on (free text and numbers, for people).</summary>
    [JsonPropertyName("fit")]
    public Dictionary<string, string> Fit { get; set; } = [];
}
