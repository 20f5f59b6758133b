using Inference.Streaming.Engine.Inference;

namespace Inference.Streaming.Trainer.Tests;

/// <summary>The commands end to end on a tiny budget: train all four models, load them as the worker does, evaluate,
/// report.</summary>
public sealed class SmokeTests : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("trainer-smoke-").FullName;

    [Fact]
    public async Task TrainThenEvaluateWritesTheSeedLayoutTheTableAndTheChart()
    {
        var models = Path.Combine(_scratch, "models");
        using var trainOutput = new StringWriter();
        var trained = await TrainerCommands.RunAsync(
            ["train", "--output", models, "--updates", "2", "--envs", "4", "--steps", "32"],
            trainOutput,
            trainOutput
        );
        Assert.True(trained == 0, trainOutput.ToString());

        var loader = new ModelDirectoryLoader(
            new TorchDevice(Microsoft.Extensions.Options.Options.Create(new InferenceOptions { Device = "cpu" })),
            TimeProvider.System
        );
        var set = loader.Load(models, 1);
        try
        {
            Assert.Empty(set.Errors);
            Assert.Equal(ModelNames.All.Order(), set.Models.Keys.Order());
            Assert.Equal(128, set.Background?.Count); // the bars universal trained on, for expected gradients
        }
        finally
        {
            set.Dispose();
        }

        var readme = Path.Combine(models, "README.md");
        await File.WriteAllTextAsync(readme, "# Models\n\nkept text\n");
        string[] evaluate =
        [
            "evaluate",
            "--model-dir",
            models,
            "--paths",
            "2",
            "--sim-bars",
            "60",
            "--regimes-dir",
            Inference.Streaming.Tests.RepositoryRoot.RegimeDetectors,
        ];
        using var evaluateOutput = new StringWriter();
        var evaluated = await TrainerCommands.RunAsync(evaluate, evaluateOutput, evaluateOutput);
        Assert.True(evaluated == 0, evaluateOutput.ToString());

        var text = await File.ReadAllTextAsync(readme);
        Assert.StartsWith("# Models\n\nkept text\n", text, StringComparison.Ordinal);
        string[] policies =
        [
            Evaluator.BuyAndHold,
            Evaluator.RandomPolicy,
            Evaluator.WorkerArgmax + "_rules",
            Evaluator.WorkerMixture + "_rules",
            Evaluator.WorkerArgmax + "_probabilistic",
            Evaluator.WorkerMixture + "_probabilistic",
            Evaluator.WorkerArgmax + Evaluator.TrueRegimeSuffix,
            .. ModelNames.All,
        ];
        foreach (var policy in policies)
        {
            Assert.Equal(4, text.Split($"| {policy} |").Length - 1); // one row in each scenario's table
        }

        Assert.Contains("**Targets**", text, StringComparison.Ordinal);
        var png = await File.ReadAllBytesAsync(Path.Combine(models, "evaluation.png"));
        Assert.True(png.Length > 10_000, $"chart has {png.Length} bytes");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);

        // Evaluating again replaces the section instead of appending a second one.
        var again = await TrainerCommands.RunAsync(evaluate, TextWriter.Null, TextWriter.Null);
        Assert.Equal(0, again);
        Assert.Equal(text, await File.ReadAllTextAsync(readme));
    }

    public void Dispose() => Directory.Delete(_scratch, recursive: true);
}
