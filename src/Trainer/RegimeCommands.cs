using System.CommandLine;
using System.Globalization;
using System.Text;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Regimes;
using Inference.Streaming.Engine.Simulation;

namespace Inference.Streaming.Trainer;

/// <summary>
/// <c>fit-regimes</c>: fits the probabilistic regime detector to labelled bars and writes it with its
/// SHA-256 into the detector directory. <c>evaluate-regimes</c>: scores every detector against the
/// labels of the held-out bars and against the simulator's true regimes, and writes the table into
/// the models' README.
/// </summary>
public static class RegimeCommands
{
    public const string BeginMarker = "<!-- regimes:begin -->";
    public const string EndMarker = "<!-- regimes:end -->";
    public const string DefaultBars = "tests/Fixtures/market/btc-usd-daily-2017-2021.csv";
    public const string DefaultSplit = "2020-01-01";

    public static Command Fit(TextWriter stdout)
    {
        var bars = BarsOption();
        var split = SplitOption("Fit on the bars before this date only (the rest is held out).");
        var output = new Option<string>("--output")
        {
            Description = "Detector directory to write into.",
            DefaultValueFactory = _ => "models/regimes",
        };
        var version = new Option<string>("--version")
        {
            Description = "Version recorded in the file.",
            DefaultValueFactory = _ => "1",
        };
        var command = new Command("fit-regimes", "Fit the probabilistic regime detector to labelled bars.")
        {
            bars,
            split,
            output,
            version,
        };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(bars)!;
            var (rows, labels, splitAt) = Labelled(path, parse.GetValue(split)!);
            var train = rows.Take(splitAt).Select(r => r.Bar).ToList();
            var (parameters, candidates) = GaussianRegimeFit.Fit(train, labels[..splitAt], parse.GetValue(version)!);
            parameters.Fit["data"] = Path.GetFileName(path);
            parameters.Fit["from"] = rows[0].Date;
            parameters.Fit["until"] = rows[splitAt - 1].Date;
            parameters.Fit["command"] =
                $"dotnet run --project src/Trainer -- fit-regimes --bars {path} --split {parse.GetValue(split)}";
            foreach (var c in candidates.OrderBy(c => c.LogLoss).Take(6))
            {
                stdout.WriteLine(
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"candidate {c.Filter, -7} temperature {c.Temperature:F2} floor {c.Floor:F3}: "
                            + $"validation log-loss {c.LogLoss:F4}, flips/100 bars {c.FlipsPer100:F2}"
                    )
                );
            }

            var best = candidates.Where(c => c.Filter == GaussianRegimeDetector.MixtureFilter).MinBy(c => c.LogLoss)!;
            stdout.WriteLine(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"best mixture (no filter): validation log-loss {best.LogLoss:F4}, flips/100 {best.FlipsPer100:F2}"
                )
            );
            var (file, sha256) = RegimeDetectorFiles.Write(parse.GetValue(output)!, parameters);
            stdout.WriteLine(
                $"chose {parameters.Filter}, temperature {parameters.Temperature}, floor {parameters.Floor}; "
                    + $"wrote {file} (SHA-256 {sha256}) on {splitAt} bars until {rows[splitAt - 1].Date}"
            );
            return 0;
        });
        return command;
    }

    public static Command Evaluate(TextWriter stdout)
    {
        var bars = BarsOption();
        var split = SplitOption("Score the bars from this date on (the fit used the ones before).");
        var directory = new Option<string>("--regimes-dir")
        {
            Description = "Detector directory.",
            DefaultValueFactory = _ => "models/regimes",
        };
        var readme = new Option<string>("--readme")
        {
            Description = "Markdown file whose regime section to replace.",
            DefaultValueFactory = _ => "models/README.md",
        };
        var paths = new Option<int>("--paths")
        {
            Description = "Simulated regime-switching paths.",
            DefaultValueFactory = _ => 16,
        };
        var length = new Option<int>("--sim-bars")
        {
            Description = "Bars per simulated path.",
            DefaultValueFactory = _ => 1000,
        };
        var command = new Command(
            "evaluate-regimes",
            "Score the regime detectors on held-out labelled bars and on the simulator's true regimes."
        )
        {
            bars,
            split,
            directory,
            readme,
            paths,
            length,
        };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(bars)!;
            var (rows, labels, splitAt) = Labelled(path, parse.GetValue(split)!);
            var detectors = Detectors(parse.GetValue(directory)!);
            var real = detectors.ToDictionary(
                d => d.Label,
                d => RegimeScores.Of(RegimeSeries.Run(d.Detector, rows.Select(r => r.Bar)), labels, splitAt)
            );
            var (n, barsPerPath) = (parse.GetValue(paths), parse.GetValue(length));
            var simulated = detectors.ToDictionary(d => d.Label, d => SimulatorScores(d.Detector, n, barsPerPath));
            var command =
                $"dotnet run --project src/Trainer -- evaluate-regimes --bars {path} --split "
                + $"{parse.GetValue(split)} --paths {n} --sim-bars {barsPerPath}";
            var section = Markdown(
                command,
                $"{Path.GetFileName(path)}, bars from {rows[splitAt].Date} to {rows[^1].Date} "
                    + $"({rows.Count - splitAt} bars; the fit saw the {splitAt} before)",
                real,
                $"{n} regime-switching paths × {barsPerPath} one-minute bars of the demo simulator "
                    + "(seeds 700001…, disjoint from training and evaluation), against its hidden regime",
                simulated
            );
            EvaluationReport.UpdateReadme(parse.GetValue(readme)!, section, BeginMarker, EndMarker);
            stdout.Write(section);
            return 0;
        });
        return command;
    }

    /// <summary>The detectors compared: the rule table, the fitted detector, and the fitted Gaussians without the
    /// filter (each bar alone), which is the measurement behind the choice of filter.</summary>
    public static IReadOnlyList<(string Label, IRegimeDetector Detector)> Detectors(string directory)
    {
        var fitted = (GaussianRegimeDetector)RegimeDetectorFiles.Load(directory, GaussianRegimeDetector.DefaultName);
        var p = fitted.Parameters;
        var other =
            p.Filter == GaussianRegimeDetector.HmmFilter
                ? GaussianRegimeDetector.MixtureFilter
                : GaussianRegimeDetector.HmmFilter;
        var variant = new GaussianRegimeDetector(
            new GaussianRegimeParameters
            {
                Name = p.Name,
                Version = p.Version,
                Filter = other,
                Prior = p.Prior,
                Transition = p.Transition,
                Means = p.Means,
                Covariances = p.Covariances,
                Temperature = p.Temperature,
                Floor = p.Floor,
            },
            null
        );
        return
        [
            (RuleRegimeDetector.Name, RuleRegimeDetector.Instance),
            ($"{GaussianRegimeDetector.DefaultName} ({p.Filter}, shipped)", fitted),
            ($"{GaussianRegimeDetector.DefaultName} ({other}, same Gaussians)", variant),
        ];
    }

    /// <summary>One path of the demo simulator as one-minute bars, each labelled with the hidden regime of its
    /// ticks.</summary>
    public static (Bar[] Bars, int[] Labels) SimulatedPath(int seed, int bars, long barMs = 60_000)
    {
        var market = new MarketSimulator(
            ["SIM"],
            seed,
            new DateTimeOffset(2026, 1, 5, 14, 30, 0, TimeSpan.Zero),
            TimeSpan.FromSeconds(1)
        );
        var builder = new BarBuilder(barMs);
        var closed = new List<Bar>();
        var labels = new List<int>();
        var regime = -1;
        while (closed.Count < bars)
        {
            var tick = market.NextRound().First();
            if (builder.Add(tick.TimeMs, tick.Price, tick.Size, out var bar) == TickOutcome.ClosedBar)
            {
                closed.Add(bar);
                labels.Add(regime);
            }

            regime = (int)market.RegimeOf(0);
        }

        return ([.. closed], [.. labels]);
    }

    private static RegimeScores SimulatorScores(IRegimeDetector detector, int paths, int bars)
    {
        var predicted = new List<RegimeState>();
        var labels = new List<int>();
        for (var i = 0; i < paths; i++)
        {
            var (path, truth) = SimulatedPath(700_001 + (i * 7919), bars);
            predicted.AddRange(RegimeSeries.Run(detector, path));
            // The first 50 bars warm the windows up; a path's first bar is no change of regime.
            labels.AddRange(truth.Select((l, t) => t < RegimeFeatures.ScaledWarmup ? -1 : l));
        }

        return RegimeScores.Of(predicted, labels);
    }

    private static string Markdown(
        string command,
        string realScope,
        IReadOnlyDictionary<string, RegimeScores> real,
        string simulatedScope,
        IReadOnlyDictionary<string, RegimeScores> simulated
    )
    {
        var text = new StringBuilder();
        text.AppendLine(BeginMarker);
        text.AppendLine(CultureInfo.InvariantCulture, $"Produced by `{command}`.");
        text.AppendLine();
        Table(text, $"**Real data**: {realScope}.", real);
        Table(text, $"**Simulator**: {simulatedScope}.", simulated);
        text.AppendLine(
            "Reliability (real data): of all probabilities a detector gave in a bin, their mean and how often that "
                + "regime was the label. A calibrated detector has the two close."
        );
        text.AppendLine();
        text.Append("| bin |");
        foreach (var name in real.Keys)
        {
            text.Append(CultureInfo.InvariantCulture, $" {name}: n / mean / frequency |");
        }

        text.AppendLine();
        text.AppendLine("|---|" + string.Concat(real.Keys.Select(_ => "---:|")));
        for (var bin = 0; bin < 10; bin++)
        {
            text.Append(CultureInfo.InvariantCulture, $"| {bin / 10.0:F1}–{(bin + 1) / 10.0:F1} |");
            foreach (var scores in real.Values)
            {
                var b = scores.Reliability[bin];
                text.Append(
                    b.Count == 0
                        ? " 0 |"
                        : string.Create(
                            CultureInfo.InvariantCulture,
                            $" {b.Count} / {b.MeanProbability:F2} / {b.Frequency:F2} |"
                        )
                );
            }

            text.AppendLine();
        }

        text.AppendLine(EndMarker);
        return text.ToString();
    }

    private static void Table(StringBuilder text, string caption, IReadOnlyDictionary<string, RegimeScores> scores)
    {
        text.AppendLine(caption);
        text.AppendLine();
        text.AppendLine(
            "| detector | bars | accuracy | macro-F1 | log-loss | Brier | median delay (bars) | "
                + "label changes (unmatched) | flips / 100 bars |"
        );
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (name, s) in scores)
        {
            text.AppendLine(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"| {name} | {s.Bars} | {s.Accuracy:F3} | {s.MacroF1:F3} | {s.LogLoss:F3} | {s.Brier:F3} | "
                        + $"{(s.MedianDelay is { } d ? d.ToString("F1", CultureInfo.InvariantCulture) : "–")} | "
                        + $"{s.LabelChanges} ({s.UnmatchedChanges}) | {s.FlipsPer100:F2} |"
                )
            );
        }

        text.AppendLine();
    }

    private static Option<string> BarsOption() =>
        new("--bars")
        {
            Description = "CSV of bars with a regime label (date, open, high, low, close, volume, regime).",
            DefaultValueFactory = _ => DefaultBars,
        };

    private static Option<string> SplitOption(string description) =>
        new("--split") { Description = description, DefaultValueFactory = _ => DefaultSplit };

    private static (IReadOnlyList<CsvBar> Rows, int[] Labels, int SplitAt) Labelled(string path, string split)
    {
        if (!DateTimeOffset.TryParse(split, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            throw new ArgumentException($"--split '{split}' is not a date");
        }

        IReadOnlyList<CsvBar> rows;
        try
        {
            rows = BarCsv.Read(path);
        }
        catch (Exception ex) when (ex is FormatException or IOException)
        {
            throw new ArgumentException(ex.Message, ex);
        }

        var labels = rows.Select(r => RegimeScores.LabelIndex(r.Label)).ToArray();
        var splitAt = rows.Count(r => r.Bar.StartMs < at.ToUnixTimeMilliseconds());
        return splitAt < 100 || splitAt >= rows.Count
            ? throw new ArgumentException(
                $"--split {split} leaves {splitAt} bars to fit and {rows.Count - splitAt} "
                    + "to score; both need some (at least 100 to fit)"
            )
            : (rows, labels, splitAt);
    }
}
