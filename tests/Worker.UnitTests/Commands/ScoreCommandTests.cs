using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Engine.UnitTests.Inference;

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
            var exit = Tool.Run(
                "score",
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

        var missingInput = Tool.Run("score", ["--model-dir", ModelFixtures.Directory], stdout, stderr);
        var missingModel = Tool.Run(
            "score",
            ["--model-dir", "/nonexistent", "--input", "/nonexistent.json"],
            stdout,
            stderr
        );

        Assert.Equal(2, missingInput);
        Assert.Contains("'--input' is required", stderr.ToString(), StringComparison.Ordinal);
        Assert.NotEqual(0, missingModel);
        Assert.Empty(stdout.ToString());
    }

    /// <summary>Hostile input, round 2, class 8. Before: 1e999 was read as infinity and the model was blamed for
    /// the non-finite output; a 90 MB input was read whole (1.56 GB at its peak).</summary>
    [Theory]
    [InlineData("1e999", "inputs[1][2] is 1e999: not a finite float32")]
    [InlineData("-1e39", "inputs[1][2] is -1e39: not a finite float32")]
    [InlineData("\"NaN\"", "inputs[1][2] is \"NaN\": not a finite float32")]
    [InlineData("huge", "over score's limit of 16,777,216")]
    public void ANonFiniteOrOversizedInputIsRefusedByPositionBeforeAnyModelRuns(string value, string message)
    {
        var input = Path.GetTempFileName();
        var row = string.Join(", ", Enumerable.Repeat("0.5", 43));
        var bad = string.Join(", ", Enumerable.Range(0, 43).Select(i => i == 2 ? value : "0.5"));
        try
        {
            if (value == "huge")
            {
                using var file = File.CreateText(input);
                file.Write("{\"inputs\": [");
                for (var i = 0; i < 100_000; i++)
                {
                    file.Write((i > 0 ? ", " : "") + "[" + row + "]");
                }

                file.Write("]}");
            }
            else
            {
                File.WriteAllText(input, $"{{\"inputs\": [[{row}], [{bad}]]}}");
            }

            using var stdout = new StringWriter();
            using var stderr = new StringWriter();
            var exit = Tool.Run(
                "score",
                [
                    "--model-dir",
                    ModelFixtures.Directory,
                    "--model",
                    ModelNames.Bull,
                    "--input",
                    input,
                    "--device",
                    "cpu",
                ],
                stdout,
                stderr
            );

            Assert.Equal(2, exit);
            Assert.Contains(message, stderr.ToString(), StringComparison.Ordinal);
            Assert.Empty(stdout.ToString());
        }
        finally
        {
            File.Delete(input);
        }
    }
}
