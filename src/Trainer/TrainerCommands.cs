using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Engine.Regimes;
using Inference.Streaming.Engine.Simulation;
using Microsoft.Extensions.Options;
using Spectre.Console;

namespace Inference.Streaming.Trainer;

/// <summary><c>train</c> (the default) and <c>evaluate</c>.</summary>
public static class TrainerCommands
{
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("Trains the seed-layout models on simulated regime markets, and evaluates them.");
        var train = Train(stdout);
        root.Subcommands.Add(train);
        root.Subcommands.Add(Evaluate(stdout));
        root.Subcommands.Add(RegimeCommands.Fit(stdout));
        root.Subcommands.Add(RegimeCommands.Evaluate(stdout));
        root.Subcommands.Add(BackgroundSample.Command(stdout));
        root.Subcommands.Add(WalkForward.Create(stdout));
        if (args.Length == 0 || args[0].StartsWith('-') && args[0] is not ("-h" or "--help" or "-?"))
        {
            args = ["train", .. args];
        }

        try
        {
            return await root.Parse(args)
                .InvokeAsync(
                    new InvocationConfiguration
                    {
                        Output = stdout,
                        Error = stderr,
                        EnableDefaultExceptionHandler = false,
                    }
                );
        }
        catch (Exception ex) when (ex is ArgumentException or OptionsValidationException)
        {
            // A wrong command line or setting: say what is wrong, without a stack trace.
            await stderr.WriteLineAsync(
                "error: " + (ex is OptionsValidationException invalid ? string.Join(" ", invalid.Failures) : ex.Message)
            );
            return 2;
        }
    }

    /// <summary>The rule table, and the fitted detector when <paramref name="directory"/> has one.</summary>
    private static IReadOnlyList<IRegimeDetector> Detectors(string directory, TextWriter stdout)
    {
        try
        {
            return
            [
                RuleRegimeDetector.Instance,
                RegimeDetectorFiles.Load(directory, GaussianRegimeDetector.DefaultName),
            ];
        }
        catch (RegimeDetectorLoadException ex)
        {
            stdout.WriteLine($"only the rule table drives the blends: {ex.Message}");
            return [RuleRegimeDetector.Instance];
        }
    }

    /// <summary>The regime a model of the seed layout is trained in; null (regime switching) for universal.</summary>
    public static MarketRegime? RegimeOf(string model) =>
        model switch
        {
            ModelNames.Bull => MarketRegime.Bull,
            ModelNames.Bear => MarketRegime.Bear,
            ModelNames.Sideways => MarketRegime.Sideways,
            _ => null,
        };

    /// <summary>Trains one model and writes it into <paramref name="root"/> in the seed layout.</summary>
    /// <returns>The checkpoint's SHA-256.</returns>
    public static string TrainOne(
        string model,
        string root,
        PpoSettings settings,
        int seed,
        TrainerEngine engine,
        Action<int, PpoTrainer>? progress = null,
        HistoricalMarket? history = null
    )
    {
        using var trainer = new PpoTrainer(
            settings,
            seed,
            () =>
                history is null
                    ? new TradingEnvironment(RegimeOf(model), settings.EpisodeBars, settings.RewardScale, engine)
                    : new TradingEnvironment(
                        history,
                        RegimeOf(model),
                        settings.EpisodeBars,
                        settings.RewardScale,
                        engine
                    )
        );
        for (var update = 0; update < settings.Updates; update++)
        {
            var rollout = trainer.Collect();
            trainer.Update(rollout);
            progress?.Invoke(update + 1, trainer);
        }

        var training = new Dictionary<string, string>(settings.Describe(), StringComparer.Ordinal)
        {
            ["model"] = model,
            ["market"] = RegimeOf(model)?.ToString().ToLowerInvariant() ?? "regime-switching",
            ["seed"] = seed.ToString(CultureInfo.InvariantCulture),
            ["simulator"] = history is null
                ? string.Create(
                    CultureInfo.InvariantCulture,
                    $"demo MarketSimulator, 1 s ticks, {engine.BarMs} ms bars"
                )
                : "none: real bars, " + history.Description,
            ["trainer"] = "Inference.Streaming.Trainer",
        };
        return CheckpointWriter.Write(ModelNames.FolderOf(root, model), trainer.Network, training);
    }

    private static Command Train(TextWriter stdout)
    {
        var output = new Option<string>("--output")
        {
            Description = "Model directory to write (seed layout).",
            DefaultValueFactory = _ => "models",
        };
        var seed = new Option<int>("--seed")
        {
            Description = "Seed of everything random; model i uses seed + 1000·i.",
            DefaultValueFactory = _ => 7,
        };
        var updates = new Option<int>("--updates")
        {
            Description = "Rollout-and-update rounds per model.",
            DefaultValueFactory = _ => new PpoSettings().Updates,
        };
        var envs = new Option<int>("--envs")
        {
            Description = "Environments per rollout.",
            DefaultValueFactory = _ => new PpoSettings().Environments,
        };
        var steps = new Option<int>("--steps")
        {
            Description = "Steps per environment per rollout.",
            DefaultValueFactory = _ => new PpoSettings().Steps,
        };
        var threads = new Option<int>("--threads")
        {
            Description = "libtorch intra-op threads.",
            DefaultValueFactory = _ => new PpoSettings().Threads,
        };
        var models = new Option<string[]>("--models")
        {
            Description = "Models to train (default: all four).",
            AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => [.. ModelNames.All],
        };
        var bars = new Option<string?>("--bars")
        {
            Description = "Train on this file's real bars (detect's CSV format, one symbol) instead of the simulator.",
        };
        var until = new Option<DateTimeOffset?>("--until")
        {
            Description = "With --bars: only the bars that start before this date (ISO 8601, UTC).",
        };
        var regimes = new Option<string>("--regimes")
        {
            Description =
                "With --bars: which bars each specialist trains on: detector (argmax of --detector, "
                + "causal) or labels (the file's regime column).",
            DefaultValueFactory = _ => "detector",
        };
        regimes.AcceptOnlyFromAmong("detector", "labels");
        var detector = new Option<string>("--detector")
        {
            Description = "With --regimes detector: the detector, from --regimes-dir.",
            DefaultValueFactory = _ => GaussianRegimeDetector.DefaultName,
        };
        var regimesDir = new Option<string>("--regimes-dir")
        {
            Description = "Regime detectors (rules needs none).",
            DefaultValueFactory = _ => Path.Combine("models", "regimes"),
        };
        var episodeBars = new Option<int>("--episode-bars")
        {
            Description = "Decisions per episode at most.",
            DefaultValueFactory = _ => new PpoSettings().EpisodeBars,
        };
        var command = new Command(
            "train",
            "Train the bull, bear and sideways specialists and the universal model with PPO."
        )
        {
            output,
            seed,
            updates,
            envs,
            steps,
            threads,
            models,
            bars,
            until,
            regimes,
            detector,
            regimesDir,
            episodeBars,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(until) is not null && result.GetValue(bars) is null)
            {
                result.AddError("--until needs --bars");
            }
        });
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(parse =>
        {
            using var engine = TrainerEngine.FromConfiguration(parse.UnmatchedTokens);
            var settings = new PpoSettings
            {
                Updates = parse.GetValue(updates),
                Environments = parse.GetValue(envs),
                Steps = parse.GetValue(steps),
                Threads = parse.GetValue(threads),
                EpisodeBars = parse.GetValue(episodeBars),
            };
            var history = parse.GetValue(bars) is { } file
                ? RealBars.Market(
                    file,
                    parse.GetValue(until),
                    parse.GetValue(regimes) == "labels"
                        ? null
                        : RegimeDetectorFiles.Load(parse.GetValue(regimesDir)!, parse.GetValue(detector)!)
                )
                : null;
            if (history is not null)
            {
                stdout.WriteLine(
                    $"training on {history.Description}: "
                        + string.Join(
                            ", ",
                            history.Counts().Select(c => $"{c.Value} {c.Key.ToString().ToLowerInvariant()}")
                        )
                );
            }

            var names = parse
                .GetValue(models)!
                .SelectMany(m => m.Split(',', StringSplitOptions.RemoveEmptyEntries))
                .ToList();
            foreach (var unknown in names.Where(n => !ModelNames.All.Contains(n)))
            {
                throw new ArgumentException($"--models: '{unknown}' is not one of {string.Join(", ", ModelNames.All)}");
            }

            var root = parse.GetValue(output)!;
            var clock = Stopwatch.StartNew();
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(stdout) });
            var shas = new Dictionary<string, string>(StringComparer.Ordinal);
            console
                .Progress()
                .Columns(
                    new TaskDescriptionColumn(),
                    new ProgressBarColumn(),
                    new PercentageColumn(),
                    new ElapsedTimeColumn(),
                    new RemainingTimeColumn()
                )
                .Start(context =>
                {
                    var tasks = names.ToDictionary(
                        n => n,
                        n => context.AddTask(n, autoStart: false, maxValue: settings.Updates)
                    );
                    foreach (var name in names)
                    {
                        var task = tasks[name].IsIndeterminate(false);
                        task.StartTask();
                        shas[name] = TrainOne(
                            name,
                            root,
                            settings,
                            parse.GetValue(seed) + (1000 * ModelNames.All.ToList().IndexOf(name)),
                            engine,
                            (update, trainer) =>
                            {
                                task.Description = string.Create(
                                    CultureInfo.InvariantCulture,
                                    $"{name} (episode reward {trainer.RecentEpisodeReward:F2})"
                                );
                                if (Environment.GetEnvironmentVariable("TRAINER_LOG") is not null && update % 10 == 0)
                                {
                                    stdout.WriteLine(
                                        string.Create(
                                            CultureInfo.InvariantCulture,
                                            $"{name} update {update}: episode reward {trainer.RecentEpisodeReward:F3}"
                                        )
                                    );
                                }

                                task.Value = update;
                            },
                            history
                        );
                        task.StopTask();
                    }
                });

            foreach (var (name, sha) in shas)
            {
                stdout.WriteLine(
                    $"{name}: {Path.Combine(ModelNames.FolderOf(root, name), ModelNames.CheckpointFile)} sha256 {sha}"
                );
            }

            if (shas.ContainsKey(ModelNames.Universal))
            {
                // Expected gradients' baselines: the bars universal was trained on, with it acting.
                using var universal = engine.Loader.LoadOne(
                    ModelNames.Universal,
                    Path.Combine(root, ModelNames.CheckpointFile)
                );
                BackgroundSample.Write(
                    root,
                    universal,
                    settings,
                    engine,
                    parse.GetValue(seed),
                    BackgroundSample.DefaultRows,
                    history
                );
                stdout.WriteLine($"background: {Path.Combine(root, BackgroundSet.FileName)}");
            }

            stdout.WriteLine(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"trained {shas.Count} models in {clock.Elapsed.TotalSeconds:F0} s ({settings.Updates} updates × "
                        + $"{settings.Environments * settings.Steps} steps each, {settings.Threads} threads)"
                )
            );
            return 0;
        });
        return command;
    }

    private static Command Evaluate(TextWriter stdout)
    {
        var modelDir = new Option<string>("--model-dir")
        {
            Description = "Models to evaluate (seed layout).",
            DefaultValueFactory = _ => "models",
        };
        var paths = new Option<int>("--paths")
        {
            Description = "Held-out paths per scenario.",
            DefaultValueFactory = _ => 16,
        };
        var bars = new Option<int>("--sim-bars")
        {
            Description = "Decisions per simulated path.",
            DefaultValueFactory = _ => 390,
        };
        var file = new Option<string?>("--bars")
        {
            Description =
                "Evaluate on this file's real bars (detect's CSV format) from --from instead of the simulator.",
        };
        var from = new Option<DateTimeOffset?>("--from")
        {
            Description = "With --bars: the first bar of the held-out period (ISO 8601, UTC); earlier bars warm up.",
        };
        var to = new Option<DateTimeOffset?>("--to")
        {
            Description = "With --bars: the end of the held-out period, exclusive (default: the end of the file).",
        };
        var report = new Option<string?>("--report") { Description = "With --bars: also write the results as JSON." };
        var block = new Option<int>("--block")
        {
            Description = "With --bars: bars per bootstrap block.",
            DefaultValueFactory = _ => 20,
        };
        var samples = new Option<int>("--samples")
        {
            Description = "With --bars: bootstrap samples.",
            DefaultValueFactory = _ => 2000,
        };
        var seed = new Option<int>("--seed")
        {
            Description = "First held-out seed (training draws its path seeds from its own generator).",
            DefaultValueFactory = _ => 900_001,
        };
        var readme = new Option<string?>("--readme")
        {
            Description = "Markdown file whose evaluation section to replace (default: MODEL_DIR/README.md).",
        };
        var chart = new Option<string?>("--chart")
        {
            Description = "PNG to write (default: MODEL_DIR/evaluation.png).",
        };
        var regimes = new Option<string>("--regimes-dir")
        {
            Description = "Regime detectors to drive the worker's blends with (besides the rule table).",
            DefaultValueFactory = _ => Path.Combine("models", "regimes"),
        };
        var command = new Command(
            "evaluate",
            "Evaluate the models on held-out simulated paths against buy-and-hold, a random policy and the worker's "
                + "blends."
        )
        {
            modelDir,
            paths,
            bars,
            seed,
            readme,
            chart,
            regimes,
            file,
            from,
            to,
            report,
            block,
            samples,
        };
        command.Validators.Add(result =>
        {
            if ((result.GetValue(file) is null) != (result.GetValue(from) is null))
            {
                result.AddError("--bars FILE and --from DATE go together");
            }
        });
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(parse =>
        {
            if (parse.GetValue(file) is { } barsFile)
            {
                return EvaluateRealBars(
                    parse,
                    stdout,
                    barsFile,
                    parse.GetValue(from)!.Value,
                    parse.GetValue(to),
                    parse.GetValue(modelDir)!,
                    parse.GetValue(regimes)!,
                    parse.GetValue(report),
                    parse.GetValue(block),
                    parse.GetValue(samples),
                    parse.GetValue(seed)
                );
            }

            var directory = parse.GetValue(modelDir)!;
            // CPU with the worker's defaults (float64 compute, one thread): scored as the worker scores.
            using var engine = TrainerEngine.FromConfiguration(parse.UnmatchedTokens);
            var models = engine.Loader.Load(directory, generation: 1);
            try
            {
                if (models.Models.Count == 0)
                {
                    throw new ArgumentException(
                        $"no model loaded from {directory}: "
                            + $"{string.Join("; ", models.Errors.Select(e => $"{e.Name}: {e.Reason}"))}"
                    );
                }

                var evaluator = new Evaluator(models, engine, Detectors(parse.GetValue(regimes)!, stdout));
                var (n, length, first) = (parse.GetValue(paths), parse.GetValue(bars), parse.GetValue(seed));
                ScenarioResult[] scenarios =
                [
                    evaluator.Run("bull", MarketRegime.Bull, n, length, first),
                    evaluator.Run("bear", MarketRegime.Bear, n, length, first + 1),
                    evaluator.Run("sideways", MarketRegime.Sideways, n, length, first + 2),
                    evaluator.Run("switching", null, n, length, first + 3),
                ];
                var chartPath = parse.GetValue(chart) ?? Path.Combine(directory, "evaluation.png");
                EvaluationReport.Chart(scenarios, chartPath);
                var readmePath = parse.GetValue(readme) ?? Path.Combine(directory, "README.md");
                var chartLink = Path.GetRelativePath(
                    Path.GetDirectoryName(Path.GetFullPath(readmePath))!,
                    Path.GetFullPath(chartPath)
                );
                var section = EvaluationReport.Markdown(
                    scenarios,
                    chartLink,
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"dotnet run --project src/Trainer -- evaluate --model-dir {directory} --paths {n} --sim-bars "
                            + $"{length} --seed {first} --regimes-dir {parse.GetValue(regimes)}"
                    )
                );
                EvaluationReport.UpdateReadme(readmePath, section);
                stdout.Write(section);
                stdout.WriteLine($"evaluation written to {readmePath} and {chartPath}");
                return 0;
            }
            finally
            {
                models.Dispose();
            }
        });
        return command;
    }

    private static int EvaluateRealBars(
        ParseResult parse,
        TextWriter stdout,
        string path,
        DateTimeOffset from,
        DateTimeOffset? to,
        string directory,
        string regimesDir,
        string? report,
        int block,
        int samples,
        int seed
    )
    {
        if (block < 1 || samples is < 1 or > 1_000_000)
        {
            throw new ArgumentException("--block must be at least 1 and --samples between 1 and 1000000");
        }

        using var engine = TrainerEngine.FromConfiguration(parse.UnmatchedTokens);
        using var models = engine.Loader.Load(directory, generation: 1);
        if (models.Models.Count == 0)
        {
            throw new ArgumentException(
                $"no model loaded from {directory}: "
                    + string.Join("; ", models.Errors.Select(e => $"{e.Name}: {e.Reason}"))
            );
        }

        var results = RealBarEvaluation
            .RunAsync(models, engine, Detectors(regimesDir, stdout), path, from, to, block, samples, seed)
            .GetAwaiter()
            .GetResult();
        var command =
            $"dotnet run --project src/Trainer -- evaluate --model-dir {directory} --bars {path} "
            + FormattableString.Invariant($"--from {from:yyyy-MM-dd}")
            + (to is null ? "" : FormattableString.Invariant($" --to {to:yyyy-MM-dd}"))
            + FormattableString.Invariant($" --block {block} --samples {samples} --seed {seed}");
        stdout.Write(RealBarEvaluation.Markdown(results, command));
        if (report is not null)
        {
            File.WriteAllText(
                report,
                RealBarEvaluation.Json(
                    results,
                    new Dictionary<string, object>
                    {
                        ["command"] = command,
                        ["model_dir"] = directory,
                        ["bars"] = path,
                        ["from"] = from.ToString("O", CultureInfo.InvariantCulture),
                        ["to"] = to?.ToString("O", CultureInfo.InvariantCulture) ?? "end of file",
                    }
                )
            );
            stdout.WriteLine($"report written to {report}");
        }

        return 0;
    }
}
