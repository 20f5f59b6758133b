namespace Inference.Streaming.Engine.Regimes;

/// <summary>
/// How well regime probabilities agree with labels (regimes 0 = bull, 1 = bear, 2 = sideways):
/// accuracy and macro-F1 of the dominant regime, log-loss and Brier score of the probabilities, a
/// reliability table, the median delay after a label change, and the flip rate.
/// </summary>
public sealed record RegimeScores(
    int Bars,
    double Accuracy,
    double MacroF1,
    double LogLoss,
    double Brier,
    double? MedianDelay,
    int LabelChanges,
    int UnmatchedChanges,
    double FlipsPer100,
    IReadOnlyList<ReliabilityBin> Reliability
)
{
    public static readonly string[] RegimeNames = ["bull", "bear", "sideways"];

    /// <summary>Scores <paramref name="predicted"/> against <paramref name="labels"/> (a negative label
    /// skips the bar) on bars <paramref name="from"/>…end.</summary>
    public static RegimeScores Of(IReadOnlyList<RegimeState> predicted, IReadOnlyList<int> labels, int from = 0)
    {
        var bars = 0;
        double correct = 0,
            logLoss = 0,
            brier = 0;
        var confusion = new int[3, 3];
        var bins = Enumerable.Range(0, 10).Select(_ => (Count: 0, Confidence: 0.0, Hits: 0)).ToArray();
        var flips = 0;
        int? previousDominant = null;
        for (var t = from; t < predicted.Count; t++)
        {
            var p = Probabilities(predicted[t]);
            var dominant = Dominant(p);
            if (previousDominant is { } before && before != dominant)
            {
                flips++;
            }

            previousDominant = dominant;
            var label = labels[t];
            if (label < 0)
            {
                continue;
            }

            bars++;
            confusion[label, dominant]++;
            correct += dominant == label ? 1 : 0;
            logLoss -= Math.Log(Math.Max(p[label], 1e-15));
            for (var k = 0; k < 3; k++)
            {
                var target = k == label ? 1.0 : 0.0;
                brier += (p[k] - target) * (p[k] - target);
                var bin = Math.Min(9, (int)(p[k] * 10));
                bins[bin] = (bins[bin].Count + 1, bins[bin].Confidence + p[k], bins[bin].Hits + (k == label ? 1 : 0));
            }
        }

        var f1 = Enumerable
            .Range(0, 3)
            .Select(k =>
            {
                double tp = confusion[k, k],
                    fp = Enumerable.Range(0, 3).Sum(l => l == k ? 0 : confusion[l, k]),
                    fn = Enumerable.Range(0, 3).Sum(d => d == k ? 0 : confusion[k, d]);
                return tp == 0 ? 0 : 2 * tp / ((2 * tp) + fp + fn);
            })
            .Average();
        var (delays, changes, unmatched) = Delays(predicted, labels, from);
        return new RegimeScores(
            bars,
            correct / Math.Max(1, bars),
            f1,
            logLoss / Math.Max(1, bars),
            brier / Math.Max(1, bars),
            delays.Count == 0 ? null : Median(delays),
            changes,
            unmatched,
            100.0 * flips / Math.Max(1, predicted.Count - from - 1),
            [
                .. bins.Select(
                    (b, i) =>
                        new ReliabilityBin(
                            i / 10.0,
                            (i + 1) / 10.0,
                            b.Count,
                            b.Count == 0 ? double.NaN : b.Confidence / b.Count,
                            b.Count == 0 ? double.NaN : (double)b.Hits / b.Count
                        )
                ),
            ]
        );
    }

    public static int Dominant(RegimeState state)
    {
        var p = Probabilities(state);
        return Dominant(p);
    }

    private static int Dominant(double[] p) =>
        p[0] >= p[1] && p[0] >= p[2] ? 0
        : p[1] >= p[2] ? 1
        : 2;

    private static double[] Probabilities(RegimeState s) => [s.Bull, s.Bear, s.Sideways];

    /// <summary>
    /// For each label change: bars until the dominant regime first equals the new label, counted only
    /// when that happens before the label changes again (otherwise the change is unmatched).
    /// </summary>
    private static (List<double> Delays, int Changes, int Unmatched) Delays(
        IReadOnlyList<RegimeState> predicted,
        IReadOnlyList<int> labels,
        int from
    )
    {
        var delays = new List<double>();
        int changes = 0,
            unmatched = 0;
        for (var t = Math.Max(from, 1); t < labels.Count; t++)
        {
            if (labels[t] < 0 || labels[t - 1] < 0 || labels[t] == labels[t - 1])
            {
                continue;
            }

            changes++;
            var found = false;
            for (var u = t; u < labels.Count && labels[u] == labels[t]; u++)
            {
                if (Dominant(predicted[u]) == labels[t])
                {
                    delays.Add(u - t);
                    found = true;
                    break;
                }
            }

            unmatched += found ? 0 : 1;
        }

        return (delays, changes, unmatched);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1
            ? sorted[sorted.Length / 2]
            : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>The regime index of a label (<c>BULL</c>, <c>bear</c>, …); −1 when it is none of the
    /// three.</summary>
    public static int LabelIndex(string? label) =>
        label?.Trim().ToLowerInvariant() switch
        {
            "bull" => 0,
            "bear" => 1,
            "sideways" => 2,
            _ => -1,
        };
}

/// <summary>Probabilities in [<see cref="From"/>, <see cref="To"/>): how many, their mean, and how often the
/// regime was the label.</summary>
public sealed record ReliabilityBin(double From, double To, int Count, double MeanProbability, double Frequency);
