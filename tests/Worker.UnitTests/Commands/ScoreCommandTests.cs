using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Engine.UnitTests.Inference;
using Inference.Streaming.Worker.Commands;

namespace Inference.Streaming.Worker.UnitTests.Commands;

/// <summary>
/// <c>score</c> against the checkpoints and outputs PyTorch wrote (the first step of forensic replay).
/// </summary>
public sealed class ScoreCommandTests
{
    private const double Tolerance = 1e-6;

    public static TheoryData<string> Models() => [.. ModelNames.All];

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
