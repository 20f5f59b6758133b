using Inference.Streaming.Engine.Features;

namespace Inference.Streaming.Engine.Regimes;

/// <summary>
/// The probabilistic detector: one Gaussian per regime over the four scaled seed features, as the seed's
/// mixture mapped its components to regimes, here fitted to labelled bars. With the <c>hmm</c> filter
/// the previous bar's probabilities, moved through the transition matrix, are the prior of the next
/// (a Gaussian HMM filtered forward: causal, and it does not flip on one noisy bar); with
/// <c>mixture</c> every bar is scored alone against the regime prior.
/// </summary>
public sealed class GaussianRegimeDetector : IRegimeDetector
{
    public const string DefaultName = "probabilistic";
    public const string HmmFilter = "hmm";
    public const string MixtureFilter = "mixture";
    private const int Regimes = 3;
    private const int Width = 4;

    private readonly double[] _prior;
    private readonly double[,] _transition;
    private readonly double[][] _means;
    private readonly double[][,] _choleskyInverse;
    private readonly double[] _logNormaliser;
    private readonly double _temperature;
    private readonly double _floor;
    private readonly bool _hmm;

    public GaussianRegimeDetector(GaussianRegimeParameters parameters, string? sha256)
    {
        Validate(parameters);
        Parameters = parameters;
        Info = new RegimeDetectorInfo(parameters.Name, parameters.Version, sha256);
        _hmm = parameters.Filter == HmmFilter;
        _prior = Normalised(parameters.Prior);
        _transition = new double[Regimes, Regimes];
        for (var i = 0; i < Regimes; i++)
        {
            var row = Normalised(parameters.Transition[i]);
            for (var j = 0; j < Regimes; j++)
            {
                _transition[i, j] = row[j];
            }
        }

        _means = [.. parameters.Means.Select(m => m.ToArray())];
        _choleskyInverse = new double[Regimes][,];
        _logNormaliser = new double[Regimes];
        for (var k = 0; k < Regimes; k++)
        {
            var lower = Cholesky(parameters.Covariances[k], k);
            _choleskyInverse[k] = InvertLower(lower);
            var logDet = 0.0;
            for (var i = 0; i < Width; i++)
            {
                logDet += 2 * Math.Log(lower[i, i]);
            }

            _logNormaliser[k] = -0.5 * ((Width * Math.Log(2 * Math.PI)) + logDet);
        }

        _temperature = parameters.Temperature;
        _floor = parameters.Floor;
    }

    public GaussianRegimeParameters Parameters { get; }

    public RegimeDetectorInfo Info { get; }

    public RegimeState? Detect(Indicators indicators, RegimeState previous)
    {
        Span<double> x = stackalloc double[Width];
        return RegimeFeatures.From(indicators).TryScale(x) ? Step(x, previous) : null;
    }

    /// <summary>One filter step from <paramref name="previous"/> with the scaled features
    /// <paramref name="x"/>.</summary>
    public RegimeState Step(ReadOnlySpan<double> x, RegimeState previous)
    {
        Span<double> before = [previous.Bull, previous.Bear, previous.Sideways];
        Span<double> logPosterior = stackalloc double[Regimes];
        var max = double.NegativeInfinity;
        for (var k = 0; k < Regimes; k++)
        {
            var prior = 0.0;
            if (_hmm)
            {
                for (var j = 0; j < Regimes; j++)
                {
                    prior += before[j] * _transition[j, k];
                }
            }
            else
            {
                prior = _prior[k];
            }

            logPosterior[k] = Math.Log(Math.Max(prior, 1e-300)) + (_temperature * LogLikelihood(k, x));
            max = Math.Max(max, logPosterior[k]);
        }

        Span<double> p = stackalloc double[Regimes];
        var total = 0.0;
        for (var k = 0; k < Regimes; k++)
        {
            p[k] = Math.Exp(logPosterior[k] - max);
            total += p[k];
        }

        for (var k = 0; k < Regimes; k++)
        {
            p[k] = ((1 - _floor) * p[k] / total) + (_floor / Regimes);
        }

        return RegimeState.FromProbabilities(p[0], p[1], p[2]);
    }

    /// <summary>Log density of regime <paramref name="k"/>'s Gaussian at <paramref name="x"/>.</summary>
    public double LogLikelihood(int k, ReadOnlySpan<double> x)
    {
        var inverse = _choleskyInverse[k];
        var mean = _means[k];
        var squared = 0.0;
        for (var i = 0; i < Width; i++)
        {
            var z = 0.0;
            for (var j = 0; j <= i; j++)
            {
                z += inverse[i, j] * (x[j] - mean[j]);
            }

            squared += z * z;
        }

        return _logNormaliser[k] - (0.5 * squared);
    }

    private const double SumTolerance = 1e-6;
    private const double MinVariance = 1e-8;
    private const double MaxVariance = 1e4;

    private static void Validate(GaussianRegimeParameters p)
    {
        static void Require(bool condition, string problem)
        {
            if (!condition)
            {
                throw new FormatException(problem);
            }
        }

        Require(
            p.Format == GaussianRegimeParameters.FormatName,
            $"format is '{p.Format}', not '{GaussianRegimeParameters.FormatName}'"
        );
        Require(
            !string.IsNullOrWhiteSpace(p.Name) && !string.IsNullOrWhiteSpace(p.Version),
            "name and version are required"
        );
        Require(
            p.Filter is HmmFilter or MixtureFilter,
            $"filter is '{p.Filter}', not '{HmmFilter}' or '{MixtureFilter}'"
        );
        Require(
            p.Features.SequenceEqual(RegimeFeatures.ScaledNames),
            $"features must be [{string.Join(", ", RegimeFeatures.ScaledNames)}]"
        );
        Require(
            p.Prior.Length == Regimes && p.Prior.All(v => double.IsFinite(v) && v >= 0) && p.Prior.Sum() > 0,
            "prior needs 3 non-negative numbers"
        );
        Require(
            p.Transition.Length == Regimes
                && p.Transition.All(r =>
                    r.Length == Regimes && r.All(v => double.IsFinite(v) && v >= 0) && r.Sum() > 0
                ),
            "transition needs 3 rows of 3 non-negative numbers"
        );
        Require(
            p.Means.Length == Regimes && p.Means.All(m => m.Length == Width && m.All(double.IsFinite)),
            "means needs 3 rows of 4 finite numbers"
        );
        Require(
            p.Covariances.Length == Regimes
                && p.Covariances.All(c => c.Length == Width && c.All(r => r.Length == Width && r.All(double.IsFinite))),
            "covariances needs 3 matrices of 4 × 4 finite numbers"
        );
        // Probabilities are probabilities: a row that does not sum to 1 is a broken file, not one to renormalise.
        Require(
            Math.Abs(p.Prior.Sum() - 1) <= SumTolerance,
            $"prior sums to {p.Prior.Sum():R}, not 1 (within {SumTolerance})"
        );
        for (var row = 0; row < Regimes; row++)
        {
            Require(
                Math.Abs(p.Transition[row].Sum() - 1) <= SumTolerance,
                $"transition row {row} sums to {p.Transition[row].Sum():R}, not 1 (within {SumTolerance})"
            );
        }

        // The features are scaled to about unit spread: a variance outside this range is no fit of them.
        for (var regime = 0; regime < Regimes; regime++)
        {
            for (var i = 0; i < Width; i++)
            {
                var variance = p.Covariances[regime][i][i];
                Require(
                    variance is >= MinVariance and <= MaxVariance,
                    $"covariance {regime} has variance {variance:R} for {RegimeFeatures.ScaledNames[i]}, outside "
                        + $"[{MinVariance}, {MaxVariance}] (the features are scaled to about unit spread)"
                );
            }
        }

        Require(double.IsFinite(p.Temperature) && p.Temperature is > 0 and <= 10, "temperature must be in (0, 10]");
        Require(double.IsFinite(p.Floor) && p.Floor is >= 0 and < 1, "floor must be in [0, 1)");
    }

    private static double[] Normalised(double[] values)
    {
        var total = values.Sum();
        return [.. values.Select(v => v / total)];
    }

    private static double[,] Cholesky(double[][] matrix, int regime)
    {
        var lower = new double[Width, Width];
        for (var i = 0; i < Width; i++)
        {
            for (var j = 0; j <= i; j++)
            {
                if (Math.Abs(matrix[i][j] - matrix[j][i]) > 1e-9 * Math.Max(1, Math.Abs(matrix[i][j])))
                {
                    throw new FormatException($"covariance {regime} is not symmetric");
                }

                var sum = matrix[i][j];
                for (var k = 0; k < j; k++)
                {
                    sum -= lower[i, k] * lower[j, k];
                }

                if (i == j)
                {
                    if (sum <= 0)
                    {
                        throw new FormatException($"covariance {regime} is not positive definite");
                    }

                    lower[i, i] = Math.Sqrt(sum);
                }
                else
                {
                    lower[i, j] = sum / lower[j, j];
                }
            }
        }

        return lower;
    }

    private static double[,] InvertLower(double[,] lower)
    {
        var inverse = new double[Width, Width];
        for (var i = 0; i < Width; i++)
        {
            inverse[i, i] = 1 / lower[i, i];
            for (var j = 0; j < i; j++)
            {
                var sum = 0.0;
                for (var k = j; k < i; k++)
                {
                    sum -= lower[i, k] * inverse[k, j];
                }

                inverse[i, j] = sum / lower[i, i];
            }
        }

        return inverse;
    }
}
