using System.Globalization;
using System.Text.Json.Serialization;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Worker.Experiments;

namespace Inference.Streaming.Tools.Experiments;

/// <summary>One arm's results over the records read.</summary>
/// <param name="Arm"><c>champion</c> or <c>challenger</c>.</param>
/// <param name="Decisions">Distinct decisions (by id).</param>
/// <param name="Symbols">Distinct symbols the arm decided.</param>
/// <param name="Trades">Decisions whose action (after risk checks) was BUY or SELL.</param>
/// <param name="Pnl">Paper P&amp;L over the period: each symbol's last value less its first, summed.</param>
/// <param name="Return">Paper P&amp;L over the period as a share of the capital the arm's symbols started
/// with.</param>
/// <param name="Sharpe">Mean over standard deviation of the arm's per-bar portfolio returns (not annualised: bars
/// are the worker's <c>Features:BarInterval</c>).</param>
/// <param name="MaxDrawdown">Largest fall of the arm's portfolio value from a previous peak, as a share of
/// it.</param>
/// <param name="Turnover">Traded value (|Δshares| × close) as a multiple of the starting capital.</param>
public sealed record ArmResult(
    [property: JsonPropertyName("arm")] string Arm,
    [property: JsonPropertyName("decisions")] int Decisions,
    [property: JsonPropertyName("symbols")] int Symbols,
    [property: JsonPropertyName("trades")] int Trades,
    [property: JsonPropertyName("pnl")] double Pnl,
    [property: JsonPropertyName("return")] double Return,
    [property: JsonPropertyName("sharpe_per_bar")] double Sharpe,
    [property: JsonPropertyName("max_drawdown")] double MaxDrawdown,
    [property: JsonPropertyName("turnover")] double Turnover
);

/// <summary>
/// The challenger's per-bar return less the champion's, with a percentile bootstrap interval over blocks (a
/// symbol's bars of one UTC day in a shadow run, where both arms decided the same bars; a day of each arm's
/// symbols in an A/B run, where they did not).
/// </summary>
public sealed record PairedComparison(
    [property: JsonPropertyName("metric")] string Metric,
    [property: JsonPropertyName("pairs")] int Pairs,
    [property: JsonPropertyName("blocks")] int Blocks,
    [property: JsonPropertyName("block")] string Block,
    [property: JsonPropertyName("estimate")] double Estimate,
    [property: JsonPropertyName("ci95_low")] double Low,
    [property: JsonPropertyName("ci95_high")] double High,
    [property: JsonPropertyName("p_challenger_better")] double ProbabilityChallengerBetter,
    [property: JsonPropertyName("bootstrap_samples")] int Samples,
    [property: JsonPropertyName("seed")] int Seed
);

/// <summary>What <c>experiment-report</c> writes as JSON.</summary>
public sealed record ExperimentReport(
    [property: JsonPropertyName("experiment")] string Experiment,
    [property: JsonPropertyName("mode")] string Mode,
    [property: JsonPropertyName("records_read")] int RecordsRead,
    [property: JsonPropertyName("records_used")] int RecordsUsed,
    [property: JsonPropertyName("from")] DateTime From,
    [property: JsonPropertyName("to")] DateTime To,
    [property: JsonPropertyName("arms")] IReadOnlyList<ArmResult> Arms,
    [property: JsonPropertyName("agreement")] double? Agreement,
    [property: JsonPropertyName("agreement_pairs")] int AgreementPairs,
    [property: JsonPropertyName("comparison")] PairedComparison? Comparison
)
{
    /// <summary>Each arm's cumulative paper P&amp;L by bar end, for the chart.</summary>
    [JsonIgnore]
    public IReadOnlyDictionary<string, IReadOnlyList<(DateTime Time, double Pnl)>> Curves { get; init; } =
        new Dictionary<string, IReadOnlyList<(DateTime, double)>>();
}

/// <summary>
/// What the report needs of one forensics record: its identity, bar, action, experiment mark and the portfolio its
/// risk checks saw (null for a record that predates risk inputs). A few dozen bytes where the record, with its
/// features and model outputs, is a few kilobytes: a long run's records are kept in this form while they are read.
/// </summary>
public sealed record ExperimentRow(
    string DecisionId,
    string Symbol,
    DateTime BarEnd,
    TradeAction Action,
    ExperimentArm? Experiment,
    RiskInputs? Inputs
)
{
    public static ExperimentRow From(DecisionForensics record) =>
        new(
            record.decision.decision_id,
            string.Intern(record.decision.symbol),
            record.decision.bar_end,
            record.decision.action,
            record.decision.experiment,
            record.risk_inputs
        );
}

/// <summary>
/// Computes an experiment's report from its forensics records. Each record carries the portfolio its risk checks
/// saw (<c>risk_inputs</c>: cash, shares, the bar's close), so an arm's paper portfolio value at every bar it decided
/// is known without re-running anything; returns are the changes of that value from one of a symbol's bars to its
/// next. A shadow run's champion records are the unmarked ones of the bars the challenger decided. Records repeated
/// by a restart count once (by decision id). Deterministic: the same records and seed give the same report.
/// </summary>
public static class ExperimentAnalysis
{
    /// <exception cref="ArgumentException">No record of an experiment, or several and none
    /// chosen.</exception>
    public static ExperimentReport Analyse(
        IEnumerable<DecisionForensics> records,
        string? experiment = null,
        int samples = 2000,
        int seed = 17
    ) => Analyse(records.Select(ExperimentRow.From), experiment, samples, seed);

    /// <inheritdoc cref="Analyse(IEnumerable{DecisionForensics}, string?, int, int)"/>
    public static ExperimentReport Analyse(
        IEnumerable<ExperimentRow> records,
        string? experiment = null,
        int samples = 2000,
        int seed = 17
    )
    {
        var read = 0;
        var unique = new Dictionary<string, ExperimentRow>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            read++;
            unique.TryAdd(record.DecisionId, record);
        }

        var ids = unique
            .Values.Select(r => r.Experiment?.id)
            .OfType<string>()
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        var id =
            experiment
            ?? (
                ids.Count switch
                {
                    0 => throw new ArgumentException("no record names an experiment (decision.experiment)"),
                    1 => ids[0],
                    _ => throw new ArgumentException(
                        $"the records name {ids.Count} experiments ({string.Join(", ", ids)}): "
                            + "choose one with --experiment"
                    ),
                }
            );
        var marked = unique.Values.Where(r => r.Experiment?.id == id).ToList();
        if (marked.Count == 0)
        {
            throw new ArgumentException($"no record of experiment '{id}'");
        }

        var mode = marked[0].Experiment!.mode;
        var challenger = marked.Where(r => r.Experiment!.arm == ExperimentArms.Challenger).ToList();
        List<ExperimentRow> champion;
        if (mode == "shadow")
        {
            var bars = challenger.Select(Bar).ToHashSet();
            champion = [.. unique.Values.Where(r => r.Experiment is null && bars.Contains(Bar(r)))];
        }
        else
        {
            champion = [.. marked.Where(r => r.Experiment!.arm == ExperimentArms.Champion)];
        }

        var championBars = Bars(champion);
        var challengerBars = Bars(challenger);
        var (agreement, agreementPairs) = Agreement(champion, challenger);
        var used = champion.Concat(challenger).ToList();
        return new ExperimentReport(
            id,
            mode,
            read,
            used.Count,
            used.Min(r => r.BarEnd),
            used.Max(r => r.BarEnd),
            [
                Summarise(ExperimentArms.Champion, champion, championBars),
                Summarise(ExperimentArms.Challenger, challenger, challengerBars),
            ],
            agreement,
            agreementPairs,
            mode == "shadow"
                ? PairedBySymbol(championBars, challengerBars, samples, seed)
                : PairedByDay(championBars, challengerBars, samples, seed)
        )
        {
            Curves = new Dictionary<string, IReadOnlyList<(DateTime, double)>>
            {
                [ExperimentArms.Champion] = Curve(championBars),
                [ExperimentArms.Challenger] = Curve(challengerBars),
            },
        };
    }

    private static (string Symbol, DateTime BarEnd) Bar(ExperimentRow r) => (r.Symbol, r.BarEnd);

    /// <summary>One symbol's decided bar: its portfolio value before the decision, the return since the symbol's
    /// previous decided bar (null for its first), and the value traded between them.</summary>
    private sealed record SymbolBar(
        string Symbol,
        DateTime BarEnd,
        double Value,
        double? Return,
        double Traded,
        double StartValue
    );

    private static List<SymbolBar> Bars(List<ExperimentRow> records)
    {
        var bars = new List<SymbolBar>(records.Count);
        foreach (var symbol in records.Where(r => r.Inputs is not null).GroupBy(r => r.Symbol))
        {
            RiskInputs? previous = null;
            var start = 0.0;
            foreach (var record in symbol.OrderBy(r => r.BarEnd))
            {
                var inputs = record.Inputs!;
                var value = inputs.cash + (inputs.shares * inputs.close);
                double? change = null;
                var traded = 0.0;
                if (previous is null)
                {
                    start = value;
                }
                else
                {
                    var before = previous.cash + (previous.shares * previous.close);
                    change = before > 0 ? (value / before) - 1 : null;
                    traded = Math.Abs(inputs.shares - previous.shares) * previous.close;
                }

                bars.Add(new SymbolBar(symbol.Key, record.BarEnd, value, change, traded, start));
                previous = inputs;
            }
        }

        return bars;
    }

    private static ArmResult Summarise(string arm, List<ExperimentRow> records, List<SymbolBar> bars)
    {
        var starting = bars.GroupBy(b => b.Symbol).Sum(g => g.First().StartValue);
        var pnl = bars.GroupBy(b => b.Symbol).Sum(g => g.Last().Value - g.First().StartValue);
        // The arm's portfolio return per bar end: value-weighted over the symbols decided at both ends.
        var perBar = bars.Where(b => b.Return is not null)
            .GroupBy(b => b.BarEnd)
            .OrderBy(g => g.Key)
            .Select(g => g.Sum(b => b.Value) / g.Sum(b => b.Value / (1 + b.Return!.Value)) - 1)
            .ToList();
        return new ArmResult(
            arm,
            records.Count,
            records.Select(r => r.Symbol).Distinct(StringComparer.Ordinal).Count(),
            records.Count(r => r.Action != TradeAction.HOLD),
            pnl,
            starting > 0 ? pnl / starting : 0,
            Sharpe(perBar),
            MaxDrawdown(Curve(bars), starting),
            starting > 0 ? bars.Sum(b => b.Traded) / starting : 0
        );
    }

    private static double Sharpe(List<double> returns)
    {
        if (returns.Count < 2)
        {
            return 0;
        }

        var mean = returns.Average();
        var sd = Math.Sqrt(returns.Sum(r => (r - mean) * (r - mean)) / (returns.Count - 1));
        return sd > 0 ? mean / sd : 0;
    }

    /// <summary>Cumulative P&amp;L over the arm's symbols by bar end: each symbol's latest value less its
    /// start.</summary>
    private static List<(DateTime Time, double Pnl)> Curve(List<SymbolBar> bars)
    {
        var latest = new Dictionary<string, double>(StringComparer.Ordinal);
        var curve = new List<(DateTime, double)>();
        foreach (var time in bars.GroupBy(b => b.BarEnd).OrderBy(g => g.Key))
        {
            foreach (var bar in time)
            {
                latest[bar.Symbol] = bar.Value - bar.StartValue;
            }

            curve.Add((time.Key, latest.Values.Sum()));
        }

        return curve;
    }

    private static double MaxDrawdown(List<(DateTime Time, double Pnl)> curve, double starting)
    {
        var (peak, worst) = (starting, 0.0);
        foreach (var (_, pnl) in curve)
        {
            var value = starting + pnl;
            peak = Math.Max(peak, value);
            worst = peak > 0 ? Math.Max(worst, (peak - value) / peak) : worst;
        }

        return worst;
    }

    private static (double? Ratio, int Pairs) Agreement(List<ExperimentRow> champion, List<ExperimentRow> challenger)
    {
        var live = champion.GroupBy(Bar).ToDictionary(g => g.Key, g => g.First().Action);
        var pairs = challenger.Where(r => live.ContainsKey(Bar(r))).ToList();
        return pairs.Count == 0
            ? (null, 0)
            : ((double)pairs.Count(r => live[Bar(r)] == r.Action) / pairs.Count, pairs.Count);
    }

    /// <summary>Shadow: both arms decided the same bars, so each (symbol, bar) gives a paired difference.</summary>
    private static PairedComparison? PairedBySymbol(
        List<SymbolBar> champion,
        List<SymbolBar> challenger,
        int samples,
        int seed
    )
    {
        var live = champion
            .Where(b => b.Return is not null)
            .ToDictionary(b => (b.Symbol, b.BarEnd), b => b.Return!.Value);
        var blocks = challenger
            .Where(b => b.Return is not null && live.ContainsKey((b.Symbol, b.BarEnd)))
            .GroupBy(b => (b.Symbol, Day: b.BarEnd.Date))
            .OrderBy(g => g.Key.Symbol, StringComparer.Ordinal)
            .ThenBy(g => g.Key.Day)
            .Select(g => g.Select(b => b.Return!.Value - live[(b.Symbol, b.BarEnd)]).ToArray())
            .ToList();
        return Bootstrap(blocks, "symbol-day", samples, seed);
    }

    /// <summary>A/B: the arms decided different symbols, so each UTC day gives the difference of the arms' mean
    /// per-bar returns that day.</summary>
    private static PairedComparison? PairedByDay(
        List<SymbolBar> champion,
        List<SymbolBar> challenger,
        int samples,
        int seed
    )
    {
        static Dictionary<DateTime, double> Daily(List<SymbolBar> bars) =>
            bars.Where(b => b.Return is not null)
                .GroupBy(b => b.BarEnd.Date)
                .ToDictionary(g => g.Key, g => g.Average(b => b.Return!.Value));
        var (a, b) = (Daily(champion), Daily(challenger));
        var blocks = b.Keys.Where(a.ContainsKey).Order().Select(day => new[] { b[day] - a[day] }).ToList();
        return Bootstrap(blocks, "day", samples, seed);
    }

    private static PairedComparison? Bootstrap(List<double[]> blocks, string block, int samples, int seed)
    {
        var pairs = blocks.Sum(b => b.Length);
        if (pairs == 0)
        {
            return null;
        }

        static double Mean(IEnumerable<double[]> chosen)
        {
            var (sum, count) = (0.0, 0);
            foreach (var values in chosen)
            {
                sum += values.Sum();
                count += values.Length;
            }

            return sum / count;
        }

        var random = new Random(seed);
        var means = new double[samples];
        var pick = new double[blocks.Count][];
        for (var s = 0; s < samples; s++)
        {
            for (var i = 0; i < pick.Length; i++)
            {
                pick[i] = blocks[random.Next(blocks.Count)];
            }

            means[s] = Mean(pick);
        }

        Array.Sort(means);
        return new PairedComparison(
            "per-bar return, challenger less champion",
            pairs,
            blocks.Count,
            block,
            Mean(blocks),
            Quantile(means, 0.025),
            Quantile(means, 0.975),
            means.Count(m => m > 0) / (double)samples,
            samples,
            seed
        );
    }

    private static double Quantile(double[] sorted, double q)
    {
        var position = q * (sorted.Length - 1);
        var (low, high) = ((int)Math.Floor(position), (int)Math.Ceiling(position));
        return sorted[low] + ((sorted[high] - sorted[low]) * (position - low));
    }

    /// <summary>The report as the command prints it.</summary>
    public static string Format(ExperimentReport report)
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine(
            CultureInfo.InvariantCulture,
            $"experiment {report.Experiment} ({report.Mode}): {report.RecordsUsed} of {report.RecordsRead} records, "
                + $"bars {report.From:O} to {report.To:O}"
        );
        text.AppendLine("arm         decisions  symbols  trades        P&L    return  Sharpe/bar  max DD  turnover");
        foreach (var arm in report.Arms)
        {
            text.AppendLine(
                CultureInfo.InvariantCulture,
                $"{arm.Arm, -10} {arm.Decisions, 10} {arm.Symbols, 8} {arm.Trades, 7} {arm.Pnl, 10:F2} "
                    + $"{arm.Return, 8:P2} {arm.Sharpe, 11:F3} {arm.MaxDrawdown, 7:P2} {arm.Turnover, 9:F3}"
            );
        }

        text.AppendLine(
            report.Agreement is { } agreement
                ? string.Create(
                    CultureInfo.InvariantCulture,
                    $"agreement: {agreement:P1} of {report.AgreementPairs} bars both arms decided"
                )
                : "agreement: none (in an A/B run no bar is decided by both arms)"
        );
        if (report.Comparison is { } c)
        {
            text.AppendLine(
                CultureInfo.InvariantCulture,
                $"{c.Metric}: {c.Estimate:E3} (95 % CI {c.Low:E3} to {c.High:E3}; "
                    + $"P(challenger better) {c.ProbabilityChallengerBetter:F3}; {c.Pairs} pairs in {c.Blocks} "
                    + $"{c.Block} blocks, {c.Samples} bootstrap samples, seed {c.Seed})"
            );
        }
        else
        {
            text.AppendLine("comparison: no bar pairs to compare");
        }

        return text.ToString();
    }
}
