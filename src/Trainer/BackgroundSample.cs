using System.CommandLine;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Decisions;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Inference;
using static TorchSharp.torch;

namespace Inference.Streaming.Trainer;

/// <summary>
/// The background set expected gradients explain against (<see cref="BackgroundSet"/>): observations of the bars the
/// models are trained on. <c>universal</c> acts greedily (its argmax, through the risk checks) in the regime-switching
/// markets it trains in, so the portfolio features are those a trained policy sees; every
/// <see cref="Stride"/>th bar after the warm-up is kept, on episodes seeded from the given seed.
/// </summary>
public static class BackgroundSample
{
    public const int DefaultRows = 128;
    public const int Stride = 5;

    /// <summary>Collects <paramref name="rows"/> observations with <paramref name="policy"/> and writes them into
    /// <paramref name="directory"/>'s <c>background.json</c>.</summary>
    public static void Write(
        string directory,
        LoadedModel policy,
        PpoSettings settings,
        TrainerEngine engine,
        int seed,
        int rows,
        HistoricalMarket? history = null
    )
    {
        var environment = history is null
            ? new TradingEnvironment(null, settings.EpisodeBars, settings.RewardScale, engine)
            : new TradingEnvironment(history, null, settings.EpisodeBars, settings.RewardScale, engine);
        var collected = new List<float>(rows * Observation.Width);
        for (var episode = 0; collected.Count < rows * Observation.Width; episode++)
        {
            var observation = environment.Reset(seed + episode);
            for (var step = 0; collected.Count < rows * Observation.Width; step++)
            {
                if (step % Stride == 0)
                {
                    collected.AddRange(observation);
                }

                (observation, _, var done, _) = environment.Step(Act(policy, observation));
                if (done)
                {
                    break;
                }
            }
        }

        BackgroundSet.Write(
            directory,
            collected.ToArray(),
            $"{rows} observations of "
                + (
                    history?.Description
                    ?? FormattableString.Invariant($"the trainer's regime-switching markets ({engine.BarMs} ms bars)")
                )
                + FormattableString.Invariant($", every {Stride}th bar, episodes seeded from {seed}, ")
                + $"{policy.Info.Name} {policy.Info.Sha256[..12]} acting"
        );
    }

    private static TradeAction Act(LoadedModel policy, float[] observation)
    {
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        var input = tensor(observation, [1, observation.Length]).to(policy.ComputeType).to(policy.Device);
        var (probabilities, _) = policy.Network.call(input);
        var values = probabilities.cpu().to(ScalarType.Float64).data<double>().ToArray();
        return DecisionPolicy.Act(values).Action;
    }

    /// <summary><c>background --model-dir DIR [--rows N] [--seed N]</c>: writes the background set of an existing
    /// model directory with its <c>universal</c> model.</summary>
    public static Command Command(TextWriter stdout)
    {
        var directory = new Option<string>("--model-dir")
        {
            Description = "The model directory: its universal acts, and background.json is written there.",
            DefaultValueFactory = _ => "models",
        };
        var rows = new Option<int>("--rows")
        {
            Description = "Observations to keep.",
            DefaultValueFactory = _ => DefaultRows,
        };
        rows.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > BackgroundSet.MaxRows)
            {
                r.AddError($"--rows must be between 1 and {BackgroundSet.MaxRows}.");
            }
        });
        var seed = new Option<int>("--seed") { Description = "Seed of the episodes.", DefaultValueFactory = _ => 7 };
        var command = new Command("background", "Writes background.json (expected gradients' baselines) for a set.")
        {
            directory,
            rows,
            seed,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(parse =>
        {
            using var engine = TrainerEngine.FromConfiguration(parse.UnmatchedTokens);
            var root = parse.GetValue(directory)!;
            using var universal = engine.Loader.LoadOne(
                ModelNames.Universal,
                ModelDirectoryLoader.FindCheckpoint(root)
                    ?? throw new ArgumentException($"{root}: no universal model (best_model.*) at its root")
            );
            Write(root, universal, new PpoSettings(), engine, parse.GetValue(seed), parse.GetValue(rows));
            stdout.WriteLine(
                $"background: {parse.GetValue(rows)} rows written to {Path.Combine(root, BackgroundSet.FileName)}"
            );
            return 0;
        });
        return command;
    }
}
