using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Engine.Simulation;
using Microsoft.Extensions.Options;
using static TorchSharp.torch;

namespace Inference.Streaming.Trainer.Tests;

public sealed class PpoTrainerTests : IDisposable
{
    // The worker's defaults: 1-minute bars, the default risk limits.
    private static readonly TrainerEngine Engine = TrainerEngine.FromConfiguration([]);

    private static readonly PpoSettings Tiny = new()
    {
        Environments = 4,
        Steps = 64,
        MinibatchSize = 64,
        Updates = 2,
        EpisodeBars = 100,
        Threads = 1,
    };
    private readonly string _scratch = Directory.CreateTempSubdirectory("trainer-").FullName;

    [Fact]
    public void AnUpdateLowersTheLossOnItsOwnBatch()
    {
        using var trainer = new PpoTrainer(Tiny, seed: 3, Environment(MarketRegime.Bull));
        var batch = trainer.Collect();
        var before = trainer.Loss(batch);

        trainer.Update(batch);
        var after = trainer.Loss(batch);

        Assert.True(after < before, $"loss {before} → {after}");
    }

    [Fact]
    public void TheSameSeedGivesTheSameCheckpointAndAnotherSeedDoesNot()
    {
        var first = CommandTrain(Path.Combine(_scratch, "a"), seed: 5);
        var second = CommandTrain(Path.Combine(_scratch, "b"), seed: 5);
        var other = CommandTrain(Path.Combine(_scratch, "c"), seed: 6);

        Assert.Equal(first, second);
        Assert.NotEqual(first, other);
        Assert.Equal(
            first,
            ModelDirectoryLoader.Sha256Of(Path.Combine(_scratch, "a", ModelNames.Bear, ModelNames.CheckpointFile))
        );
    }

    [Fact]
    public void ATrainedCheckpointLoadsThroughTheModelLayerAndScoresAsTheTrainersForward()
    {
        using var trainer = new PpoTrainer(Tiny, seed: 9, Environment(MarketRegime.Sideways));
        trainer.Update(trainer.Collect());
        var rollout = trainer.Collect();
        var directory = Path.Combine(_scratch, ModelNames.Sideways);
        var sha = CheckpointWriter.Write(directory, trainer.Network, new Dictionary<string, string> { ["seed"] = "9" });

        var loader = new ModelDirectoryLoader(
            new TorchDevice(Options.Create(new InferenceOptions { Device = "cpu" })),
            TimeProvider.System
        );
        using var loaded = loader.LoadOne(ModelNames.Sideways, Path.Combine(directory, ModelNames.CheckpointFile));
        Assert.Equal(sha, loaded.Info.Sha256);
        Assert.Equal(CheckpointFormat.TorchTrainingCheckpoint, loaded.Info.Format);

        var rows = rollout.Rows;
        var set = new ModelSet(
            1,
            directory,
            new Dictionary<string, LoadedModel> { [ModelNames.Sideways] = loaded },
            []
        );
        var served = InferenceEngine.Run(
            set,
            rollout.Observations,
            Observation.Width,
            Enumerable.Repeat(RowPlan.ForModel(ModelNames.Sideways), rows).ToArray()
        );
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (probabilities, values) = trainer.Network.call(tensor(rollout.Observations, [rows, Observation.Width]));
        var expected = probabilities.data<float>().ToArray();
        var expectedValues = values.data<float>().ToArray();
        for (var r = 0; r < rows; r++)
        {
            for (var a = 0; a < 3; a++)
            {
                Assert.Equal(expected[(r * 3) + a], served[r].Outputs[0].Probabilities[a], 1e-6f);
            }

            Assert.Equal(expectedValues[r], served[r].Outputs[0].Value, 1e-5f);
        }

        Assert.True(expected.Distinct().Count() > 3, "the rows should not all score alike");
    }

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    private static Func<TradingEnvironment> Environment(MarketRegime regime) =>
        () => new TradingEnvironment(regime, Tiny.EpisodeBars, Tiny.RewardScale, Engine);

    private static string CommandTrain(string output, int seed) =>
        TrainerCommands.TrainOne(ModelNames.Bear, output, Tiny, seed, Engine);
}
