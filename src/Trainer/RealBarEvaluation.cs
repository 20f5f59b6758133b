using System.Globalization;
using System.Text;
using System.Text.Json;
using Inference.Streaming.Engine.Backtesting;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Engine.Regimes;

namespace Inference.Streaming.Trainer;

/// <summary>One policy over a held-out period of real bars, with its Sharpe difference against
/// <c>universal</c>.</summary>
public sealed record RealBarResult(
    string Policy,
    BacktestPerformance Performance,
    BlockBootstrap.Interval? VersusUniversal
);

/// <summary>
/// <c>evaluate --bars FILE --from DATE [--to DATE]</c>: the held-out part of a bar file through the code
/// <c>backtest</c> runs (<see cref="BarReplay"/>: the stream's bars, regimes, routing, engine, risk checks and paper
/// portfolio), the bars before <c>--from</c> warming the indicators and the detectors up. Every policy sees the same
/// bars: each model alone, the worker's blends (argmax and mixture) with each detector, with the file's labels as an
/// oracle when it has them, and buy-and-hold. Each policy's Sharpe per bar is compared with <c>universal</c>'s by a
/// paired block bootstrap (<see cref="BlockBootstrap"/>).
/// </summary>
public static class RealBarEvaluation
{
    public static async Task<IReadOnlyList<RealBarResult>> RunAsync(
        ModelSet models,
        TrainerEngine engine,
        IReadOnlyList<IRegimeDetector> detectors,
        string path,
        DateTimeOffset from,
        DateTimeOffset? to,
        int block,
        int samples,
        int seed
    )
    {
        var rows = BarCsv
            .Read(path)
            .Where(r => to is null || r.Bar.StartMs < to.Value.ToUnixTimeMilliseconds())
            .Select(r => r with { Symbol = r.Symbol ?? "SYMBOL" })
            .ToList();
        var interval = BarCsv.SmallestGapMs(rows) ?? (long)TimeSpan.FromDays(1).TotalMilliseconds;
        var symbols = rows.Select(r => r.Symbol!).Distinct(StringComparer.Ordinal).ToList();
        var fromMs = from.ToUnixTimeMilliseconds();
        if (!rows.Any(r => r.Bar.StartMs >= fromMs))
        {
            throw new ArgumentException($"{path}: no bar from {from:O}{(to is null ? "" : $" to {to:O}")}");
        }

        var policies =
            new List<(
                string Name,
                ReplayRegimes Source,
                IRegimeDetector? Detector,
                SelectionStrategy Strategy,
                string? Model
            )>();
        policies.AddRange(
            models
                .Models.Keys.Order(StringComparer.Ordinal)
                .Select(m => (m, ReplayRegimes.Detector, (IRegimeDetector?)null, SelectionStrategy.Argmax, (string?)m))
        );
        foreach (var strategy in new[] { SelectionStrategy.Argmax, SelectionStrategy.Mixture })
        {
            var name = strategy.ToString().ToLowerInvariant();
            policies.AddRange(
                detectors.Select(d =>
                    (
                        $"worker_{name}_{d.Info.Name}",
                        ReplayRegimes.Detector,
                        (IRegimeDetector?)d,
                        strategy,
                        (string?)null
                    )
                )
            );
            if (rows.All(r => BarReplay.Label(r.Label) is not null))
            {
                policies.Add(($"worker_{name}_labels_oracle", ReplayRegimes.Labels, null, strategy, null));
            }
        }

        var capital = PaperCapital;
        var held = new BacktestPerformance("buy_and_hold", symbols, capital);
        var results = new List<(string Name, BacktestPerformance Performance)>();
        foreach (var (name, source, detector, strategy, model) in policies)
        {
            var performance = new BacktestPerformance(name, symbols, capital);
            var first = results.Count == 0;
            var replay = new BarReplay(engine.Rules, detector, source, interval, capital, Path.GetFileName(path))
            {
                DecideFromMs = fromMs,
                Strategy = strategy,
                Model = model,
                // An undecided bar holds (as the stream dead-letters it): one value per bar keeps the policies paired.
                Held = (state, bar) =>
                {
                    performance.Mark(state.Symbol, bar.EndMs, state.Portfolio.ValueAt(bar.Close));
                    if (first)
                    {
                        held.Hold(state.Symbol, bar.EndMs, bar.Close);
                    }
                },
            };
            await replay.RunAsync(
                rows.ToAsyncEnumerable(),
                models,
                bar =>
                {
                    var decided = engine.Rules.Decide(
                        bar.Result.Probabilities,
                        bar.State.Regime.Entropy,
                        bar.Bar.Close,
                        bar.State.Portfolio
                    );
                    var (traded, value) = BacktestPerformance.Preview(
                        bar.State.Portfolio,
                        decided.Action,
                        bar.Bar.Close
                    );
                    performance.Add(bar.State.Symbol, bar.Bar.EndMs, decided.Action, traded, value);
                    if (first)
                    {
                        held.Hold(bar.State.Symbol, bar.Bar.EndMs, bar.Bar.Close);
                    }

                    return decided.Action;
                },
                CancellationToken.None
            );
            results.Add((name, performance));
        }

        results.Add((held.Name, held));
        var universal = results.FirstOrDefault(r => r.Name == ModelNames.Universal).Performance?.Returns();
        return
        [
            .. results.Select(r => new RealBarResult(
                r.Name,
                r.Performance,
                universal is null || r.Name == ModelNames.Universal
                    ? null
                    : BlockBootstrap.SharpeDifference(r.Performance.Returns(), universal, block, samples, seed)
            )),
        ];
    }

    private const double PaperCapital = Engine.Features.PaperPortfolio.DefaultInitialCapital;

    /// <summary>The results as a Markdown table.</summary>
    public static string Markdown(IReadOnlyList<RealBarResult> results, string command)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Produced by `{command}`.\n\n");
        text.Append(
            "| policy | total return | Sharpe per bar | Sharpe − universal's [95% block-bootstrap interval] | "
        );
        text.Append("P(better) | max drawdown | trades |\n|---|---:|---:|---|---:|---:|---:|\n");
        foreach (var (policy, performance, versus) in results)
        {
            var summary = performance.Summary();
            text.Append(
                CultureInfo.InvariantCulture,
                $"| {policy} | {performance.TotalReturn:P2} | {performance.SharpePerBar:F4} | "
            );
            text.Append(
                versus is null
                    ? "– | – | "
                    : versus.Describe() + " | " + FormattableString.Invariant($"{versus.ProbabilityBetter:F2} | ")
            );
            text.Append(
                CultureInfo.InvariantCulture,
                $"{(double)summary["max_drawdown"]:P2} | {performance.Trades} |\n"
            );
        }

        return text.ToString();
    }

    /// <summary>The results as JSON.</summary>
    public static string Json(IReadOnlyList<RealBarResult> results, IReadOnlyDictionary<string, object> about) =>
        JsonSerializer.Serialize(
            new Dictionary<string, object>
            {
                ["about"] = about,
                ["policies"] = results.ToDictionary(
                    r => r.Policy,
                    r =>
                    {
                        var summary = r.Performance.Summary();
                        if (r.VersusUniversal is { } v)
                        {
                            summary["sharpe_minus_universal"] = new Dictionary<string, object>
                            {
                                ["estimate"] = v.Estimate,
                                ["ci95_low"] = v.Low,
                                ["ci95_high"] = v.High,
                                ["p_better"] = v.ProbabilityBetter,
                                ["block_bars"] = v.Block,
                                ["samples"] = v.Samples,
                            };
                        }

                        return (object)summary;
                    }
                ),
            },
            Indented
        ) + "\n";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
}
