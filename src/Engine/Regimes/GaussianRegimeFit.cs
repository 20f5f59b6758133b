using System.Globalization;
using Inference.Streaming.Engine.Features;

namespace Inference.Streaming.Engine.Regimes;

/// <summary>
/// Fits the probabilistic detector to labelled bars. One Gaussian per regime (mean and covariance of the
/// scaled features of that regime's bars, the covariance shrunk towards its diagonal), the prior from
/// the labels' frequencies and the transition matrix from their bar-to-bar changes (add-one smoothed).
/// The filter (<c>hmm</c> or <c>mixture</c>), the temperature and the floor are chosen on a validation
/// block: the last quarter of the fitting bars, scored by log-loss with Gaussians fitted on the first
/// three quarters; then every parameter is refitted on all of them. Few parameters (63), all of them
/// summaries of the data, so the fit carries to other markets rather than memorising this one.
/// </summary>
public static class GaussianRegimeFit
{
    public const double Shrinkage = 0.2;
    public static readonly double[] Temperatures = [0.1, 0.2, 0.3, 0.5, 0.7, 1.0];
    public static readonly double[] Floors = [0.005, 0.01, 0.02, 0.05];

    /// <summary>The candidates scored on the validation block: filter, temperature, floor, log-loss.</summary>
    public sealed record Candidate(string Filter, double Temperature, double Floor, double LogLoss, double FlipsPer100);

    public static (GaussianRegimeParameters Parameters, IReadOnlyList<Candidate> Candidates) Fit(
        IReadOnlyList<Bar> bars,
        IReadOnlyList<int> labels,
        string version
    )
    {
        if (bars.Count != labels.Count)
        {
            throw new ArgumentException("one label per bar");
        }

        var split = bars.Count * 3 / 4;
        var early = Estimate(bars, labels, 0, split);
        var candidates = new List<Candidate>();
        foreach (var filter in new[] { GaussianRegimeDetector.HmmFilter, GaussianRegimeDetector.MixtureFilter })
        {
            foreach (var temperature in Temperatures)
            {
                foreach (var floor in Floors)
                {
                    var trial = With(early, filter, temperature, floor, version);
                    var predicted = RegimeSeries.Run(new GaussianRegimeDetector(trial, null), bars);
                    var scores = RegimeScores.Of(predicted, labels, split);
                    candidates.Add(new Candidate(filter, temperature, floor, scores.LogLoss, scores.FlipsPer100));
                }
            }
        }

        var best = candidates.MinBy(c => c.LogLoss)!;
        var all = Estimate(bars, labels, 0, bars.Count);
        var parameters = With(all, best.Filter, best.Temperature, best.Floor, version);
        parameters.Fit["bars"] = bars.Count.ToString(CultureInfo.InvariantCulture);
        parameters.Fit["validation"] = string.Create(
            CultureInfo.InvariantCulture,
            $"filter, temperature and floor by log-loss on bars {split}-{bars.Count - 1} "
                + $"with Gaussians of bars 0-{split - 1}: {best.LogLoss:F4}"
        );
        parameters.Fit["shrinkage"] = Shrinkage.ToString(CultureInfo.InvariantCulture);
        return (parameters, candidates);
    }

    private static GaussianRegimeParameters With(
        GaussianRegimeParameters estimate,
        string filter,
        double temperature,
        double floor,
        string version
    ) =>
        new()
        {
            Version = version,
            Filter = filter,
            Prior = estimate.Prior,
            Transition = estimate.Transition,
            Means = estimate.Means,
            Covariances = estimate.Covariances,
            Temperature = temperature,
            Floor = floor,
        };

    /// <summary>Gaussians, prior and transitions from bars [<paramref name="from"/>, <paramref name="to"/>).</summary>
    private static GaussianRegimeParameters Estimate(
        IReadOnlyList<Bar> bars,
        IReadOnlyList<int> labels,
        int from,
        int to
    )
    {
        var features = RegimeSeries.ScaledFeatures(bars.Take(to));
        const int width = 4;
        var rows = Enumerable.Range(0, 3).Select(_ => new List<double[]>()).ToArray();
        var counts = new double[3];
        var transitions = new double[3][] { [1, 1, 1], [1, 1, 1], [1, 1, 1] };
        for (var t = from; t < to; t++)
        {
            if (labels[t] < 0)
            {
                continue;
            }

            counts[labels[t]]++;
            if (t > from && labels[t - 1] >= 0)
            {
                transitions[labels[t - 1]][labels[t]]++;
            }

            if (features[t] is { } x)
            {
                rows[labels[t]].Add(x);
            }
        }

        var means = new double[3][];
        var covariances = new double[3][][];
        for (var k = 0; k < 3; k++)
        {
            if (rows[k].Count < width + 2)
            {
                throw new ArgumentException(
                    $"only {rows[k].Count} bars of regime {RegimeScores.RegimeNames[k]} have features; "
                        + $"at least {width + 2} are needed"
                );
            }

            var n = rows[k].Count;
            means[k] = [.. Enumerable.Range(0, width).Select(i => rows[k].Average(r => r[i]))];
            covariances[k] = new double[width][];
            for (var i = 0; i < width; i++)
            {
                covariances[k][i] = new double[width];
                for (var j = 0; j < width; j++)
                {
                    var (mi, mj) = (means[k][i], means[k][j]);
                    var s = rows[k].Sum(r => (r[i] - mi) * (r[j] - mj)) / (n - 1);
                    covariances[k][i][j] = i == j ? s + 1e-6 : (1 - Shrinkage) * s;
                }
            }
        }

        return new GaussianRegimeParameters
        {
            Prior = [.. counts.Select(c => c / counts.Sum())],
            Transition = [.. transitions.Select(r => r.Select(c => c / r.Sum()).ToArray())],
            Means = means,
            Covariances = covariances,
        };
    }
}
