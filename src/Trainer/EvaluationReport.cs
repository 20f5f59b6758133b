using System.Globalization;
using System.Text;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Engine.Simulation;
using ScottPlot;

namespace Inference.Streaming.Trainer;

/// <summary>The evaluation as a Markdown section (tables and the targets, met or not) and a PNG of equity
/// curves.</summary>
public static class EvaluationReport
{
    public const string BeginMarker = "<!-- evaluation:begin -->";
    public const string EndMarker = "<!-- evaluation:end -->";

    public static string Markdown(IReadOnlyList<ScenarioResult> scenarios, string chartFile, string command)
    {
        var text = new StringBuilder();
        text.AppendLine(BeginMarker);
        text.AppendLine(
            CultureInfo.InvariantCulture,
            $"Produced by `{command}`. Held-out paths (seeds disjoint from training); each policy sees the same "
                + $"paths. Total return, maximum drawdown and turnover are means over paths; the Sharpe ratio is per "
                + $"bar (mean over standard deviation of every 1-minute portfolio return, pooled over all paths; a "
                + $"policy that never holds a position scores 0), not annualised. Turnover is traded "
                + $"value over initial capital. Model policies act like the worker: argmax of the probabilities, the "
                + $"worker's risk checks, the seed's paper portfolio (BUY invests 1% of value, SELL closes the "
                + $"position, 0.1% commission). `worker_argmax_*` and `worker_mixture_*` are the worker's blends "
                + $"with regimes from a detector over closed bars, as with `Regimes:Source Detector`: `_rules` the "
                + $"seed's rule table (docs/design.md, Regimes and selection), `_probabilistic` the fitted detector of "
                + $"`models/regimes/`; the `_true_regime` rows feed the blends the simulator's hidden regime "
                + $"instead, to tell the specialists' worth from the detector's. The simulator is calibrated to "
                + $"daily BTC-USD on a compressed clock (one 1-minute bar carries one day; `MarketSimulator`), so "
                + $"an episode of 390 bars is 390 market days."
        );
        text.AppendLine();
        foreach (var scenario in scenarios)
        {
            text.AppendLine(
                CultureInfo.InvariantCulture,
                $"**{Title(scenario)}** ({scenario.Paths} paths × {scenario.Bars} bars)"
            );
            text.AppendLine();
            text.AppendLine("| policy | total return | Sharpe | max drawdown | turnover |");
            text.AppendLine("|---|---:|---:|---:|---:|");
            foreach (var result in scenario.Results.Values)
            {
                text.AppendLine(
                    CultureInfo.InvariantCulture,
                    $"| {result.Policy} | {result.TotalReturn:P2} | {result.Sharpe:F3} | {result.MaxDrawdown:P2} | "
                        + $"{result.Turnover:F3} |"
                );
            }

            text.AppendLine();
        }

        text.AppendLine("**Targets**");
        text.AppendLine();
        foreach (var line in Targets(scenarios))
        {
            text.AppendLine("- " + line);
        }

        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"![Mean equity on regime-switching paths]({chartFile})");
        text.AppendLine(EndMarker);
        return text.ToString();
    }

    /// <summary>Each specialist against buy-and-hold in its own regime; the worker's blends against every single model
    /// across switches.</summary>
    public static IEnumerable<string> Targets(IReadOnlyList<ScenarioResult> scenarios)
    {
        foreach (
            var (model, regime) in new[]
            {
                (ModelNames.Bull, MarketRegime.Bull),
                (ModelNames.Bear, MarketRegime.Bear),
                (ModelNames.Sideways, MarketRegime.Sideways),
            }
        )
        {
            var own = scenarios.FirstOrDefault(s => s.Regime == regime);
            if (own is null || !own.Results.TryGetValue(model, out var specialist))
            {
                continue;
            }

            var benchmark = own.Results[Evaluator.BuyAndHold];
            yield return string.Create(
                CultureInfo.InvariantCulture,
                $"{model} in a {regime.ToString().ToLowerInvariant()} market: Sharpe {specialist.Sharpe:F3} vs "
                    + $"buy-and-hold {benchmark.Sharpe:F3}: "
                    + $"**{(specialist.Sharpe > benchmark.Sharpe ? "met" : "not met")}**"
            );
        }

        var switching = scenarios.FirstOrDefault(s => s.Regime is null);
        if (switching is null)
        {
            yield break;
        }

        var singles = switching.Results.Values.Where(r => ModelNames.All.Contains(r.Policy)).ToList();
        var best = singles.MaxBy(r => r.Sharpe);
        if (best is null)
        {
            yield break;
        }

        switching.Results.TryGetValue(ModelNames.Universal, out var universal);
        var blends = switching
            .Results.Values.Where(r => r.Policy.StartsWith("worker_", StringComparison.Ordinal))
            .ToList();
        var truth = blends.Where(r => r.Policy.EndsWith(Evaluator.TrueRegimeSuffix, StringComparison.Ordinal)).ToList();
        foreach (var worker in blends.Except(truth))
        {
            var atUniversal = universal is null
                ? string.Empty
                : string.Create(
                    CultureInfo.InvariantCulture,
                    $"; vs universal {universal.Sharpe:F3}: "
                        + $"**{(worker.Sharpe >= universal.Sharpe ? "at or above" : "below")}**"
                );
            var verdict = string.Create(
                CultureInfo.InvariantCulture,
                $"{worker.Policy} across regime switches: Sharpe {worker.Sharpe:F3} vs best single model "
                    + $"({best.Policy}) {best.Sharpe:F3}: **{(worker.Sharpe > best.Sharpe ? "met" : "not met")}**"
            );
            yield return verdict + atUniversal;
        }

        foreach (var worker in truth)
        {
            yield return string.Create(
                CultureInfo.InvariantCulture,
                $"(diagnostic, not the target) {worker.Policy}, regimes from the simulator's hidden state: Sharpe "
                    + $"{worker.Sharpe:F3} vs {best.Policy} {best.Sharpe:F3}: "
                    + $"{(worker.Sharpe > best.Sharpe ? "better" : "not better")}"
            );
        }
    }

    /// <summary>Replaces the section between the markers in <paramref name="path"/>, or appends it.</summary>
    public static void UpdateReadme(string path, string section) => UpdateReadme(path, section, BeginMarker, EndMarker);

    /// <summary>Replaces the section between <paramref name="beginMarker"/> and <paramref name="endMarker"/> in
    /// <paramref name="path"/>, or appends it.</summary>
    public static void UpdateReadme(string path, string section, string beginMarker, string endMarker)
    {
        var text = File.Exists(path) ? File.ReadAllText(path) : string.Empty;
        var begin = text.IndexOf(beginMarker, StringComparison.Ordinal);
        var end = text.IndexOf(endMarker, StringComparison.Ordinal);
        text =
            begin >= 0 && end > begin
                ? text[..begin] + section.TrimEnd('\n') + text[(end + endMarker.Length)..]
                : text.TrimEnd('\n') + "\n\n" + section;
        File.WriteAllText(path, text.TrimEnd('\n') + "\n");
    }

    /// <summary>Mean equity per policy on the regime-switching paths (or the first scenario).</summary>
    public static void Chart(IReadOnlyList<ScenarioResult> scenarios, string path)
    {
        var scenario = scenarios.FirstOrDefault(s => s.Regime is null) ?? scenarios[0];
        var plot = new Plot();
        foreach (var result in scenario.Results.Values)
        {
            var line = plot.Add.Signal(result.Equity);
            line.LegendText = result.Policy;
            line.LineWidth = result.Policy.StartsWith("worker", StringComparison.Ordinal) ? 3 : 1.5f;
        }

        plot.Title($"Mean equity, {Title(scenario)} ({scenario.Paths} paths)");
        plot.XLabel("bar (1 minute)");
        plot.YLabel("portfolio value / initial");
        plot.ShowLegend(Alignment.UpperLeft);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        plot.SavePng(path, 1000, 560);
    }

    private static string Title(ScenarioResult scenario) =>
        scenario.Regime is { } regime ? $"{regime.ToString().ToLowerInvariant()} market" : "regime-switching market";
}
