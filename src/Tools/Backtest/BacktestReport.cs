using System.Globalization;
using System.Text.Json;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Backtesting;
using Inference.Streaming.Engine.Decisions;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Engine.Regimes;
using ScottPlot;

namespace Inference.Streaming.Tools.Backtest;

/// <summary>
/// What a backtest writes beside the records: <c>report.json</c> (the input, the settings that shaped the decisions
/// and each policy's figures, <see cref="BacktestPerformance"/>, with buy-and-hold) and <c>report.png</c> (each
/// policy's book against buy-and-hold, their drawdowns, and the first symbol's regime probabilities with the
/// champion's trades marked).
/// </summary>
public sealed class BacktestReport(
    string input,
    IReadOnlyList<CsvBar> rows,
    IReadOnlyList<string> symbols,
    FeatureOptions features,
    ReplayRegimes regimes,
    RegimeDetectorInfo? detector
)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly BacktestPerformance _buyAndHold = new("buy_and_hold", symbols, features.InitialCapital);
    private readonly List<(BacktestPerformance Performance, Dictionary<string, object> About)> _policies = [];
    private readonly List<(DateTime At, RegimeProbabilities Regime)> _regimes = [];
    private readonly List<(DateTime At, TradeAction Action)> _trades = [];

    /// <summary>A policy about to run: its book.</summary>
    public BacktestPerformance AddPolicy(string name, string directory, ModelSet models)
    {
        var performance = new BacktestPerformance(name, symbols, features.InitialCapital);
        _policies.Add(
            (
                performance,
                new Dictionary<string, object>
                {
                    ["model_dir"] = directory,
                    ["model_version"] = DecisionIds.ModelSet(models.Fingerprint),
                    ["models"] = models.Models.Keys.Order(StringComparer.Ordinal).ToList(),
                }
            )
        );
        return performance;
    }

    /// <summary>A decided bar: the champion's also marks buy-and-hold and the chart's regimes and trades.</summary>
    public void Observe(string policy, BacktestStep step)
    {
        if (policy != "champion")
        {
            return;
        }

        var decision = step.Decision;
        _first ??= decision.bar_start;
        _last = decision.bar_start;
        _buyAndHold.Hold(decision.symbol, new DateTimeOffset(decision.bar_end).ToUnixTimeMilliseconds(), step.Close);
        if (decision.symbol == symbols[0])
        {
            _regimes.Add((decision.bar_end, decision.regime));
            if (step.TradedNotional > 0)
            {
                _trades.Add((decision.bar_end, decision.action));
            }
        }
    }

    private readonly Dictionary<string, List<string>> _failures = [];
    private DateTime? _first;
    private DateTime? _last;

    public void Failed(string policy, List<string> failures) => _failures[policy] = failures;

    public void Write(string directory)
    {
        var policies = new Dictionary<string, object>();
        foreach (var (performance, about) in _policies)
        {
            var summary = performance.Summary();
            foreach (var (key, value) in about)
            {
                summary[key] = value;
            }

            summary["not_decided"] = _failures.GetValueOrDefault(performance.Name)?.Count ?? 0;
            policies[performance.Name] = summary;
        }

        policies[_buyAndHold.Name] = _buyAndHold.Summary();
        var report = new Dictionary<string, object?>
        {
            ["input"] = Path.GetFullPath(input),
            ["rows"] = rows.Count,
            ["symbols"] = symbols,
            ["from"] = rows[0].Date,
            ["to"] = rows[^1].Date,
            ["decided_from"] = _first?.ToString("O", CultureInfo.InvariantCulture),
            ["decided_to"] = _last?.ToString("O", CultureInfo.InvariantCulture),
            ["bar_interval"] = features.BarInterval.ToString("c", CultureInfo.InvariantCulture),
            ["initial_capital_per_symbol"] = features.InitialCapital,
            ["regimes"] = regimes.ToString().ToLowerInvariant(),
            ["regime_detector"] = detector?.Identity,
            ["policies"] = policies,
            ["not_decided"] = _failures,
        };
        File.WriteAllText(Path.Combine(directory, "report.json"), JsonSerializer.Serialize(report, Json) + "\n");
        Chart(Path.Combine(directory, "report.png"));
    }

    /// <summary>One line per policy for the terminal.</summary>
    public string Summary() =>
        string.Join(
            '\n',
            _policies
                .Select(p => p.Performance)
                .Append(_buyAndHold)
                .Select(p =>
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"backtest: {p.Name, -12} return {p.TotalReturn, 8:P2}, Sharpe per bar {p.SharpePerBar, 7:F4}, "
                            + $"max drawdown {p.Summary()["max_drawdown"], 8:P2}, trades {p.Trades}"
                    )
                )
        );

    private void Chart(string path)
    {
        var multiplot = new Multiplot();
        multiplot.AddPlots(3);
        var (equity, drawdown, regime) = (multiplot.GetPlot(0), multiplot.GetPlot(1), multiplot.GetPlot(2));
        foreach (var performance in _policies.Select(p => p.Performance).Append(_buyAndHold))
        {
            var times = performance.Equity.Select(e => Time(e.EndMs)).ToArray();
            var growth = performance.Equity.Select(e => Math.Log10(e.Value / performance.InitialCapital)).ToArray();
            var line = equity.Add.Scatter(times, growth);
            line.LegendText = performance.Name;
            line.MarkerSize = 0;
            var fall = drawdown.Add.Scatter(times, performance.Drawdowns().Select(d => -d).ToArray());
            fall.LegendText = performance.Name;
            fall.MarkerSize = 0;
        }

        // The book's growth on a log scale: a 40-fold buy-and-hold and a 2-fold policy both stay readable.
        equity.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            LabelFormatter = y => string.Create(CultureInfo.InvariantCulture, $"{Math.Pow(10, y):0.##}x"),
        };
        equity.Title($"{Path.GetFileName(input)}: book value over the initial capital (log scale)");
        drawdown.Title("drawdown");
        var at = _regimes.Select(r => r.At.ToOADate()).ToArray();
        foreach (var (name, pick) in Probabilities)
        {
            var line = regime.Add.Scatter(at, _regimes.Select(r => pick(r.Regime)).ToArray());
            line.LegendText = name;
            line.MarkerSize = 0;
        }

        foreach (
            var (action, y, color) in new[]
            {
                (TradeAction.BUY, 1.05, Colors.Green),
                (TradeAction.SELL, -0.05, Colors.Red),
            }
        )
        {
            var marks = _trades.Where(t => t.Action == action).Select(t => t.At.ToOADate()).ToArray();
            if (marks.Length > 0)
            {
                var points = regime.Add.ScatterPoints(marks, [.. marks.Select(_ => y)]);
                points.Color = color;
                points.LegendText = action.ToString();
            }
        }

        regime.Title($"{symbols[0]}: regime ({regimes.ToString().ToLowerInvariant()}) and the champion's trades");
        foreach (var plot in new[] { equity, drawdown, regime })
        {
            plot.Axes.DateTimeTicksBottom();
            plot.ShowLegend();
        }

        multiplot.SavePng(path, 1200, 1200);
    }

    private static readonly (string Name, Func<RegimeProbabilities, double> Pick)[] Probabilities =
    [
        ("bull", r => r.bull),
        ("bear", r => r.bear),
        ("sideways", r => r.sideways),
    ];

    private static double Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToOADate();
}
