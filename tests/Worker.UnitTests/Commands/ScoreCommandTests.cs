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
    [InlineData("deep_traced")]
    [InlineData("layernorm_scripted")]
    [InlineData("logits_traced")]
    public void ATorchScriptModuleScoresPyTorchsOutputsAndACheckpointBesideItWins(string fixture)
    {
        var source = Path.Combine(Tests.RepositoryRoot.Path, "tests", "Fixtures", "torchscript", fixture);
        var directory = Directory.CreateTempSubdirectory("score-torchscript-").FullName;
        var folder = Path.Combine(directory, ModelNames.Bull);
        Directory.CreateDirectory(folder);
        File.Copy(Path.Combine(source, ModelNames.TorchScriptFile), Path.Combine(folder, ModelNames.TorchScriptFile));
        File.Copy(Path.Combine(source, ModelManifest.FileName), Path.Combine(folder, ModelManifest.FileName));
        try
        {
            using var reference = System.Text.Json.JsonDocument.Parse(
                File.ReadAllText(Path.Combine(source, "reference.json"))
            );
            var expected = reference.RootElement.GetProperty("probs");
            string[] args =
            [
                "--model-dir",
                directory,
                "--model",
                ModelNames.Bull,
                "--input",
                Path.Combine(source, "reference.json"),
                "--device",
                "cpu",
            ];
            using var stdout = new StringWriter();
            using var stderr = new StringWriter();
            Assert.True(Tool.Run("score", args, stdout, stderr) == 0, stderr.ToString());
            using var json = System.Text.Json.JsonDocument.Parse(stdout.ToString());
            var probs = json.RootElement.GetProperty("probs");
            Assert.Equal(expected.GetArrayLength(), probs.GetArrayLength());
            for (var r = 0; r < probs.GetArrayLength(); r++)
            {
                for (var a = 0; a < 3; a++)
                {
                    Assert.InRange(Math.Abs(probs[r][a].GetDouble() - expected[r][a].GetDouble()), 0, Tolerance);
                }
            }

            // With a checkpoint beside it, the checkpoint is what the worker serves, and what score scores.
            File.Copy(ModelFixtures.CheckpointOf(ModelNames.Bull), Path.Combine(folder, ModelNames.CheckpointFile));
            File.Delete(Path.Combine(folder, ModelManifest.FileName));
            using var second = new StringWriter();
            Assert.True(Tool.Run("score", args, second, stderr) == 0, stderr.ToString());
            using var checkpoint = System.Text.Json.JsonDocument.Parse(second.ToString());
            Assert.Equal(
                ModelDirectoryLoader.Sha256Of(ModelFixtures.CheckpointOf(ModelNames.Bull)),
                checkpoint.RootElement.GetProperty("sha256").GetString()
            );
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void ExplainGivesExpectedGradientsAgainstTheDirectorysBackgroundSetOrSaysItHasNone()
    {
        var reference = ModelFixtures.ReferenceOf(ModelNames.Universal);
        var input = Path.GetTempFileName();
        File.WriteAllText(input, System.Text.Json.JsonSerializer.Serialize(new { inputs = reference.Inputs[..4] }));
        try
        {
            string[] Args(string directory) =>
                ["--model-dir", directory, "--input", input, "--explain", "expected_gradients", "--device", "cpu"];
            using var stdout = new StringWriter();
            using var stderr = new StringWriter();
            Assert.True(Tool.Run("score", Args(Tests.RepositoryRoot.Models), stdout, stderr) == 0, stderr.ToString());
            using var json = System.Text.Json.JsonDocument.Parse(stdout.ToString());
            var explanations = json.RootElement.GetProperty("explanations").EnumerateArray().ToList();
            Assert.Equal(4, explanations.Count);
            foreach (var explanation in explanations)
            {
                Assert.Equal("expected_gradients", explanation.GetProperty("method").GetString());
                Assert.Equal(43, explanation.GetProperty("attributions").GetArrayLength());
                Assert.InRange(Math.Abs(explanation.GetProperty("completeness_gap").GetDouble()), 0, 5e-3);
            }

            using var none = new StringWriter();
            using var why = new StringWriter();
            Assert.Equal(1, Tool.Run("score", Args(ModelFixtures.Directory), none, why));
            Assert.Contains("no background.json", why.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(input);
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
