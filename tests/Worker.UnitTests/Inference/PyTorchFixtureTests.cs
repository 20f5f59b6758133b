using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Worker.Commands;

namespace Inference.Streaming.Worker.UnitTests.Inference;

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

    [Theory]
    [MemberData(nameof(Models))]
    public void TheScoreCommandReproducesPyTorchsOutputs(string name)
    {
        var reference = ModelFixtures.ReferenceOf(name);
        var input = Path.GetTempFileName();
        File.WriteAllText(input, System.Text.Json.JsonSerializer.Serialize(new { inputs = reference.Inputs }));
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        try
        {
            var exit = ScoreCommand.Run(
                ["--model-dir", ModelFixtures.Directory, "--model", name, "--input", input, "--device", "cpu"],
                stdout,
                stderr
            );

            Assert.True(exit == 0, stderr.ToString());
            using var json = System.Text.Json.JsonDocument.Parse(stdout.ToString());
            var root = json.RootElement;
            Assert.Equal(name, root.GetProperty("model").GetString());
            Assert.Equal(
                ModelDirectoryLoader.Sha256Of(ModelFixtures.CheckpointOf(name)),
                root.GetProperty("sha256").GetString()
            );
            var probs = root.GetProperty("probs")
                .EnumerateArray()
                .Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray())
                .ToArray();
            var values = root.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            Assert.Equal(reference.Probs.Length, probs.Length);
            for (var r = 0; r < probs.Length; r++)
            {
                Assert.All(
                    probs[r].Zip(reference.Probs[r]),
                    pair => Assert.InRange(Math.Abs(pair.First - pair.Second), 0, Tolerance)
                );
                Assert.InRange(Math.Abs(values[r] - reference.Values[r]), 0, Tolerance);
            }
        }
        finally
        {
            File.Delete(input);
        }
    }

    [Fact]
    public void TheScoreCommandFailsClearlyOnBadArguments()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var missingInput = ScoreCommand.Run(["--model-dir", ModelFixtures.Directory], stdout, stderr);
        var missingModel = ScoreCommand.Run(
            ["--model-dir", "/nonexistent", "--input", "/nonexistent.json"],
            stdout,
            stderr
        );

        Assert.Equal(2, missingInput);
        Assert.Contains("'--input' is required", stderr.ToString(), StringComparison.Ordinal);
        Assert.NotEqual(0, missingModel);
        Assert.Empty(stdout.ToString());
    }
}
