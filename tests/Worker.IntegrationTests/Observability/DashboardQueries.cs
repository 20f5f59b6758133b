using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Inference.Streaming.Worker.IntegrationTests.Observability;

/// <summary>
/// Evaluates a Grafana dashboard's expressions through a real Prometheus: each must parse, and,
/// unless its panel is exempt, return at least one series with a number (not NaN); and
/// <c>rate()</c>/<c>increase()</c> may only read counters (or a histogram's series), as the
/// scraped metadata types them.
/// </summary>
public static partial class DashboardQueries
{
    /// <summary>What Grafana puts in <c>$__rate_interval</c> at a 1-second scrape: four scrapes and then
    /// some.</summary>
    public const string RateInterval = "15s";

    public static IReadOnlyList<(string Panel, string Expression)> Read(string dashboardPath)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(dashboardPath));
        return
        [
            .. json
                .RootElement.GetProperty("panels")
                .EnumerateArray()
                .SelectMany(p =>
                    p.GetProperty("targets")
                        .EnumerateArray()
                        .Select(t => (p.GetProperty("title").GetString()!, t.GetProperty("expr").GetString()!))
                ),
        ];
    }

    /// <summary>Every problem found, one line each; empty when every query holds.</summary>
    public static async Task<List<string>> CheckAsync(
        PrometheusServer prometheus,
        IEnumerable<(string Panel, string Expression)> queries,
        Func<string, bool> exempt
    )
    {
        var metadata = await prometheus.GetAsync("api/v1/metadata");
        var problems = new List<string>();
        foreach (var (panel, template) in queries)
        {
            var expression = template.Replace("$__rate_interval", RateInterval, StringComparison.Ordinal);
            var (status, error, result) = await prometheus.QueryAsync(expression);
            if (status != "success")
            {
                problems.Add($"{panel}: `{template}` does not evaluate: {error}");
                continue;
            }

            if (!exempt(panel) && !result.Any(HasNumber))
            {
                problems.Add(
                    $"{panel}: `{template}` returns no data" + (result.Count > 0 ? " (only NaN)" : string.Empty)
                );
            }

            foreach (Match counted in CountingFunction().Matches(expression))
            {
                var name = counted.Groups["metric"].Value;
                if (TypeOf(metadata, name) is not ("counter" or "histogram-series"))
                {
                    problems.Add(
                        $"{panel}: `{template}` applies {counted.Groups["function"].Value}() to {name}, a "
                            + $"{TypeOf(metadata, name) ?? "metric Prometheus has no type for"}"
                    );
                }
            }
        }

        return problems;
    }

    private static bool HasNumber(JsonNode? series) =>
        series?["value"]?[1]?.GetValue<string>() is { } value && value != "NaN";

    /// <summary>
    /// The metric's type as scraped; a histogram's _bucket, _sum and _count count as counters.
    /// Prometheus scrapes OpenMetrics, whose counter families are named without <c>_total</c>.
    /// </summary>
    private static string? TypeOf(JsonNode metadata, string name)
    {
        var family = name.EndsWith("_total", StringComparison.Ordinal) ? name[..^"_total".Length] : name;
        if ((metadata[name] ?? metadata[family])?[0]?["type"]?.GetValue<string>() is { } type)
        {
            return type;
        }

        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
        {
            if (
                name.EndsWith(suffix, StringComparison.Ordinal)
                && metadata[name[..^suffix.Length]]?[0]?["type"]?.GetValue<string>() == "histogram"
            )
            {
                return "histogram-series";
            }
        }

        return null;
    }

    [GeneratedRegex(@"\b(?<function>rate|irate|increase)\(\s*(?<metric>[a-zA-Z_:][a-zA-Z0-9_:]*)")]
    private static partial Regex CountingFunction();
}
