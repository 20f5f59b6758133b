using Inference.Streaming.Engine.Inference;

namespace Inference.Streaming.Engine.UnitTests.Inference;

/// <summary>Golden tests: checkpoints written by PyTorch itself, and PyTorch's own outputs for them.</summary>
public sealed class PyTorchFixtureTests
{
    private const double Tolerance = 1e-6;

    public static TheoryData<string> Models() => [.. ModelNames.All];

    [Fact]
    public void EveryFixtureCheckpointLoads()
    {
        var set = ModelFixtures.Loader().Load(ModelFixtures.Directory, 1);
        try
        {
            Assert.Empty(set.Errors);
            Assert.Equal(ModelNames.All.Order(), set.Models.Keys.Order());
            Assert.Equal(CheckpointFormat.TorchTrainingCheckpoint, set.Models[ModelNames.Universal].Info.Format);
            Assert.Equal(CheckpointFormat.TorchStateDict, set.Models[ModelNames.Bull].Info.Format);
        }
        finally
        {
            set.Dispose();
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void TheEngineReproducesPyTorchsOutputs(string name)
    {
        var reference = ModelFixtures.ReferenceOf(name);
        using var model = ModelFixtures.Loader().LoadOne(name, ModelFixtures.CheckpointOf(name));
        var set = new ModelSet(1, ModelFixtures.Directory, new Dictionary<string, LoadedModel> { [name] = model }, []);

        var results = InferenceEngine.Run(
            set,
            reference.Flat(),
            reference.StateDim,
            Enumerable.Repeat(RowPlan.ForModel(name), reference.Inputs.Length).ToArray()
        );

        Assert.Equal(reference.Parameters, model.Info.Parameters);
        Assert.Equal(reference.StateDim, model.Info.InputWidth);
        for (var r = 0; r < results.Length; r++)
        {
            for (var a = 0; a < 3; a++)
            {
                Assert.InRange(Math.Abs(results[r].Probabilities[a] - reference.Probs[r][a]), 0, Tolerance);
            }

            Assert.InRange(Math.Abs(results[r].Value - reference.Values[r]), 0, Tolerance);
            Assert.Equal(name, results[r].DecidedBy);
        }
    }
}
