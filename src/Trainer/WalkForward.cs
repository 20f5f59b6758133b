using System.CommandLine;
using System.Globalization;
using System.Text;
using Inference.Streaming.Engine.Backtesting;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Engine.Regimes;

namespace Inference.Streaming.Trainer;

/// <summary>
/// <c>walk-forward --bars FILE --folds D1,D2,... --output DIR</c>: for each fold date, trains the four models on the
/// bars before it (<c>train --bars --until</c>) into <c>DIR/fold-DATE</c> and evaluates them on the bars from it to
/// the next fold date (the last to the end of the file) through the backtest's loop; then pools every policy's
/// per-bar returns over the folds and compares each with <c>universal</c>'s by the paired block bootstrap. Nothing
/// is tuned on a held-out fold: the settings are the command line's, the same for every fold. Writes
/// <c>DIR/walk-forward.md</c>.
/// </summary>
public static class WalkForward
{
    public static Command Create(TextWriter stdout)
    {
        var defaults = new PpoSettings();
        var updates = new Option<int>("--updates")
        {
            Description = "Rollout-and-update rounds per model.",
            DefaultValueFactory = _ => defaults.Updates,
        };
        var envs = new Option<int>("--envs")
        {
            Description = "Environments per rollout.",
            DefaultValueFactory = _ => defaults.Environments,
        };
        var steps = new Option<int>("--steps")
        {
            Description = "Steps per environment per rollout.",
            DefaultValueFactory = _ => defaults.Steps,
        };
        var episodeBars = new Option<int>("--episode-bars")
        {
            Description = "Decisions per episode at most.",
            DefaultValueFactory = _ => defaults.EpisodeBars,
        };
        var bars = new Option<string>("--bars") { Description = "The bar file (one symbol).", Required = true };
        var folds = new Option<string>("--folds")
        {
            Description = "Comma-separated fold dates (ISO 8601, UTC): train before each, evaluate up to the next.",
            Required = true,
        };
        var output = new Option<string>("--output")
        {
            Description = "Directory for the folds' models and the report.",
            Required = true,
        };
        var regimes = new Option<string>("--regimes")
        {
            Description = "Which bars each specialist trains on: detector (causal) or labels.",
            DefaultValueFactory = _ => "detector",
        };
        regimes.AcceptOnlyFromAmong("detector", "labels");
        var regimesDir = new Option<string>("--regimes-dir")
        {
            Description = "Regime detectors for the training split and the blends.",
            DefaultValueFactory = _ => Path.Combine("models", "regimes"),
        };
        var seed = new Option<int>("--seed")
        {
            Description = "Training seed; model i uses seed + 1000·i.",
            DefaultValueFactory = _ => 7,
        };
        var command = new Command("walk-forward", "Train before each fold date, evaluate up to the next, and pool.")
        {
            bars,
            folds,
            output,
            regimes,
            regimesDir,
            seed,
            updates,
            envs,
            steps,
            episodeBars,
        };

        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(parse =>
        {
            var dates = parse
                .GetValue(folds)!
                .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(d =>
                    DateTimeOffset.TryParse(
                        d,
                        CultureInfo.InvariantCulture,
                        DateTimeStyles.AssumeUniversal,
                        out var date
                    )
                        ? date
                        : throw new ArgumentException($"--folds: '{d}' is not a date")
                )
                .ToList();
            if (dates.Count == 0 || dates.Zip(dates.Skip(1)).Any(p => p.Second <= p.First))
            {
                throw new ArgumentException("--folds: one or more dates, in increasing order");
            }

            var path = parse.GetValue(bars)!;
            var root = parse.GetValue(output)!;
            var settings = defaults with
            {
                Updates = parse.GetValue(updates),
                Environments = parse.GetValue(envs),
                Steps = parse.GetValue(steps),
                EpisodeBars = parse.GetValue(episodeBars),
            };
            using var engine = TrainerEngine.FromConfiguration(parse.UnmatchedTokens);
            var directory = parse.GetValue(regimesDir)!;
            IRegimeDetector? split =
                parse.GetValue(regimes) == "labels"
                    ? null
                    : RegimeDetectorFiles.Load(directory, GaussianRegimeDetector.DefaultName);
            IReadOnlyList<IRegimeDetector> detectors =
            [
                RuleRegimeDetector.Instance,
                RegimeDetectorFiles.Load(directory, GaussianRegimeDetector.DefaultName),
            ];
            var report = new StringBuilder("# Walk-forward evaluation\n\n");
            var foldList = string.Join(", ", dates.Select(Day));
            var splitBy = split is null ? "the labels" : "detector " + split.Info.Name;
            report.Append(CultureInfo.InvariantCulture, $"`{path}`, folds {foldList}; per fold {settings.Updates} ");
            report.Append(
                CultureInfo.InvariantCulture,
                $"updates × {settings.Environments * settings.Steps} steps per model, seed {parse.GetValue(seed)}, "
            );
            report.Append($"specialists' bars from {splitBy}.\n\n");
            var pooled = new Dictionary<string, List<double>>(StringComparer.Ordinal);
            for (var i = 0; i < dates.Count; i++)
            {
                var (from, to) = (dates[i], i + 1 < dates.Count ? dates[i + 1] : (DateTimeOffset?)null);
                var fold = Path.Combine(root, "fold-" + from.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                var history = RealBars.Market(path, from, split);
                stdout.WriteLine($"fold {from:yyyy-MM-dd}: training on {history.Description}");
                foreach (var model in ModelNames.All)
                {
                    TrainerCommands.TrainOne(
                        model,
                        fold,
                        settings,
                        parse.GetValue(seed) + (1000 * ModelNames.All.ToList().IndexOf(model)),
                        engine,
                        history: history
                    );
                }

                using (
                    var universal = engine.Loader.LoadOne(
                        ModelNames.Universal,
                        Path.Combine(fold, ModelNames.CheckpointFile)
                    )
                )
                {
                    BackgroundSample.Write(
                        fold,
                        universal,
                        settings,
                        engine,
                        parse.GetValue(seed),
                        BackgroundSample.DefaultRows,
                        history
                    );
                }

                using var models = engine.Loader.Load(fold, generation: 1);
                var results = RealBarEvaluation
                    .RunAsync(models, engine, detectors, path, from, to, 20, 2000, 17)
                    .GetAwaiter()
                    .GetResult();
                var heading = $"## Fold {Day(from)} to {(to is null ? "the end" : Day(to.Value))}\n\n";
                report.Append(heading);
                report.Append(
                    RealBarEvaluation.Markdown(
                        results,
                        $"dotnet run --project src/Trainer -- evaluate --model-dir {fold} --bars {path} "
                            + $"--from {Day(from)}"
                            + (to is null ? "" : $" --to {Day(to.Value)}")
                            + " --block 20 --samples 2000 --seed 17"
                    )
                );
                report.Append('\n');
                stdout.Write(heading);
                stdout.Write(
                    RealBarEvaluation.Markdown(
                        results,
                        "fold " + from.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
                    )
                );
                foreach (var result in results)
                {
                    if (!pooled.TryGetValue(result.Policy, out var returns))
                    {
                        pooled[result.Policy] = returns = [];
                    }

                    returns.AddRange(result.Performance.Returns());
                }
            }

            report.Append(Pooled(pooled));
            Directory.CreateDirectory(root);
            var file = Path.Combine(root, "walk-forward.md");
            File.WriteAllText(file, report.ToString());
            stdout.Write(Pooled(pooled));
            stdout.WriteLine($"walk-forward report written to {file}");
            return 0;
        });
        return command;
    }

    private static string Day(DateTimeOffset date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>Every policy's per-bar returns over all folds, with its Sharpe difference against
    /// universal's.</summary>
    private static string Pooled(Dictionary<string, List<double>> pooled)
    {
        var text = new StringBuilder("## All folds pooled\n\n");
        text.Append(
            "| policy | bars | Sharpe per bar | Sharpe − universal's [95% block-bootstrap interval] | P(better) |\n"
        );
        text.Append("|---|---:|---:|---|---:|\n");
        var universal = pooled.GetValueOrDefault(ModelNames.Universal);
        foreach (var (policy, returns) in pooled)
        {
            var versus =
                universal is null || policy == ModelNames.Universal
                    ? null
                    : BlockBootstrap.SharpeDifference(returns, universal, 20, 2000, 17);
            text.Append(
                CultureInfo.InvariantCulture,
                $"| {policy} | {returns.Count} | {BacktestPerformance.Sharpe(returns):F4} | "
            );
            text.Append(
                versus is null
                    ? "– | – |\n"
                    : versus.Describe() + FormattableString.Invariant($" | {versus.ProbabilityBetter:F2} |\n")
            );
        }

        return text.Append('\n').ToString();
    }
}
