using System.Globalization;
using System.Text.RegularExpressions;

namespace Inference.Streaming.Benchmarks;

/// <summary>
/// The worker's per-stage latency histograms (<c>inference_stage_duration_seconds{stage}</c>) and
/// tick-to-decision-acknowledged, read from two scrapes of <c>/metrics</c>: each quantile comes from the
/// buckets' increase over the window, interpolated within a bucket as Prometheus' histogram_quantile does.
/// </summary>
internal sealed partial class StageBudget
{
    public static readonly string[] Stages = ["handle", "queue", "forward", "publish", "acknowledge"];

    private const string StageMetric = "inference_stage_duration_seconds_bucket";
    private const string TotalMetric = "inference_tick_to_decision_duration_seconds_bucket";

    private readonly Dictionary<string, SortedDictionary<double, double>> _buckets;

    private StageBudget(Dictionary<string, SortedDictionary<double, double>> buckets) => _buckets = buckets;

    public static async Task<StageBudget> ScrapeAsync(HttpClient http, Uri metrics)
    {
        var text = await http.GetStringAsync(metrics);
        var buckets = new Dictionary<string, SortedDictionary<double, double>>();
        foreach (var line in text.Split('\n'))
        {
            var match = Bucket().Match(line);
            if (!match.Success)
            {
                continue;
            }

            var series = match.Groups["name"].Value == TotalMetric ? "total" : Label(match.Groups["labels"].Value);
            if (series is null)
            {
                continue;
            }

            var le =
                match.Groups["le"].Value == "+Inf"
                    ? double.PositiveInfinity
                    : double.Parse(match.Groups["le"].Value, CultureInfo.InvariantCulture);
            if (!buckets.TryGetValue(series, out var counts))
            {
                buckets[series] = counts = new SortedDictionary<double, double>();
            }

            counts[le] =
                counts.GetValueOrDefault(le) + double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
        }

        return new StageBudget(buckets);
    }

    /// <summary>The q-quantile in milliseconds of a series ("total" or a stage) between two scrapes, and the
    /// count.</summary>
    public static (double Ms, double Count) Quantile(StageBudget before, StageBudget after, string series, double q)
    {
        if (!after._buckets.TryGetValue(series, out var end))
        {
            return (double.NaN, 0);
        }

        var start = before._buckets.GetValueOrDefault(series);
        var increase = end.Select(b => (Le: b.Key, Count: b.Value - (start?.GetValueOrDefault(b.Key) ?? 0))).ToList();
        var total = increase[^1].Count;
        if (total <= 0)
        {
            return (double.NaN, 0);
        }

        var rank = q * total;
        var (lower, below) = (0.0, 0.0);
        foreach (var (le, cumulative) in increase)
        {
            if (cumulative >= rank)
            {
                if (double.IsPositiveInfinity(le))
                {
                    return (lower * 1000, total);
                }

                var inBucket = cumulative - below;
                var fraction = inBucket <= 0 ? 1 : (rank - below) / inBucket;
                return ((lower + ((le - lower) * fraction)) * 1000, total);
            }

            (lower, below) = (le, cumulative);
        }

        return (lower * 1000, total);
    }

    public static void Print(StageBudget before, StageBudget after)
    {
        Console.WriteLine("worker's latency budget by stage over the window (/metrics, bucket-interpolated):");
        Console.WriteLine("| stage | decisions | p50 ms | p99 ms |");
        Console.WriteLine("|---|---:|---:|---:|");
        foreach (var series in Stages.Append("total"))
        {
            var (p50, count) = Quantile(before, after, series, 0.50);
            var (p99, _) = Quantile(before, after, series, 0.99);
            var name = series == "total" ? "tick consumed → decision acknowledged" : series;
            Console.WriteLine(
                string.Create(CultureInfo.InvariantCulture, $"| {name} | {count:F0} | {p50:F2} | {p99:F2} |")
            );
        }
    }

    private static string? Label(string labels)
    {
        var match = StageLabel().Match(labels);
        return match.Success ? match.Groups[1].Value : null;
    }

    private const string BucketPattern =
        "^(?<name>"
        + StageMetric
        + "|"
        + TotalMetric
        + @")\{(?<labels>[^}]*)le=""(?<le>[^""]+)""[^}]*\}\s+(?<value>\S+)";

    [GeneratedRegex(BucketPattern)]
    private static partial Regex Bucket();

    [GeneratedRegex(@"stage=""([^""]+)""")]
    private static partial Regex StageLabel();
}
