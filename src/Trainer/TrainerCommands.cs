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
        Action<int, PpoTrainer>? progress = null
    )
    {
        using var trainer = new PpoTrainer(
            settings,
            seed,
            () => new TradingEnvironment(RegimeOf(model), settings.EpisodeBars, settings.RewardScale, engine)
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
            ["simulator"] = string.Create(
                CultureInfo.InvariantCulture,
                $"demo MarketSimulator, 1 s ticks, {engine.BarMs} ms bars"
            ),
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
        };
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
            };
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
                            }
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
                    BackgroundSample.DefaultRows
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
        var bars = new Option<int>("--bars") { Description = "Decisions per path.", DefaultValueFactory = _ => 390 };
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
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(parse =>
        {
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
                        $"dotnet run --project src/Trainer -- evaluate --model-dir {directory} --paths {n} --bars "
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
}
