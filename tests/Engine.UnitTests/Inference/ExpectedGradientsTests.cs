using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Inference;

namespace Inference.Streaming.Engine.UnitTests.Inference;

/// <summary>Expected gradients (SHAP's GradientExplainer) against a background set stored with the models.</summary>
public sealed class ExpectedGradientsTests : IDisposable
{
    private readonly ModelFixtures.Reference _reference = ModelFixtures.ReferenceOf(ModelNames.Bull);
    private readonly string _directory = ModelFixtures.CopyToScratch();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void AttributionsAddUpToTheOutputLessTheMeanOutputOverTheBackground()
    {
        // The background: 48 of PyTorch's reference rows; the rows explained are others.
        BackgroundSet.Write(_directory, _reference.Flat().AsSpan(0, 48 * Observation.Width), "reference rows 0-47");
        using var set = ModelFixtures.Loader().Load(_directory, 1);
        Assert.Empty(set.Errors);
        Assert.Equal(48, set.Background!.Count);

        foreach (var row in _reference.Inputs.Skip(48).Take(6))
        {
            var result = IntegratedGradients.ExplainExpected(
                set,
                row,
                RowPlan.ForModel(ModelNames.Bull),
                ModelNames.Bull,
                action: 1
            );

            var mean = _reference.Probs.Take(48).Average(p => p[1]);
            Assert.Equal(mean, result.BaselineOutput, 6); // E[f(background)], computed by PyTorch
            Assert.Equal(48, result.Baselines);
            // Stated tolerance: 5e-3 of probability with 16 midpoint steps on each of 48 paths.
            Assert.InRange(Math.Abs(result.CompletenessGap), 0, 5e-3);
            Assert.Contains(result.Attributions, a => Math.Abs(a) > 1e-4);
        }
    }

    [Fact]
    public void OneZeroBaselineIsIntegratedGradientsAgainstZeros()
    {
        BackgroundSet.Write(_directory, new float[Observation.Width], "zeros");
        using var set = ModelFixtures.Loader().Load(_directory, 1);
        var row = _reference.Inputs[2];

        var expected = IntegratedGradients.ExplainExpected(
            set,
            row,
            RowPlan.ForModel(ModelNames.Bull),
            ModelNames.Bull,
            0,
            steps: 32
        );
        var integrated = IntegratedGradients.Explain(
            set,
            row,
            RowPlan.ForModel(ModelNames.Bull),
            ModelNames.Bull,
            0,
            steps: 32
        );

        Assert.Equal(integrated.Attributions, expected.Attributions);
        Assert.Equal(integrated.BaselineOutput, expected.BaselineOutput);
    }

    [Fact]
    public void ALargerBackgroundIsSampledTheSameWayEveryTime()
    {
        var rows = Enumerable
            .Range(0, 300 * Observation.Width)
            .Select(i => _reference.Flat()[i % _reference.Flat().Length] * (1 + (i / 4000 * 0.01f)))
            .ToArray();
        BackgroundSet.Write(_directory, rows, "300 rows");
        using var set = ModelFixtures.Loader().Load(_directory, 1);
        var plan = RowPlan.Mixture(0.2, 0.5, 0.3);

        var first = IntegratedGradients.ExplainExpected(set, _reference.Inputs[60], plan, "mixture", 2);
        var second = IntegratedGradients.ExplainExpected(set, _reference.Inputs[60], plan, "mixture", 2);

        Assert.Equal(IntegratedGradients.DefaultBaselines, first.Baselines);
        Assert.Equal(first.Attributions, second.Attributions);
        // The gap now holds the sampling error of 128 of 300 baselines as well.
        Assert.InRange(Math.Abs(first.CompletenessGap), 0, 0.05);
    }

    [Fact]
    public void WithoutABackgroundSetExpectedGradientsAreRefusedAndABrokenOneIsListed()
    {
        using (var set = ModelFixtures.Loader().Load(_directory, 1))
        {
            Assert.Null(set.Background);
            var error = Assert.Throws<InvalidOperationException>(() =>
                IntegratedGradients.ExplainExpected(
                    set,
                    _reference.Inputs[0],
                    RowPlan.ForModel(ModelNames.Bull),
                    ModelNames.Bull,
                    0
                )
            );
            Assert.Contains("no background.json", error.Message, StringComparison.Ordinal);
        }

        File.WriteAllText(Path.Combine(_directory, BackgroundSet.FileName), """{"rows": [[1, 2, 3]]}""");
        using var broken = ModelFixtures.Loader().Load(_directory, 2);
        var listed = Assert.Single(broken.Errors);
        Assert.Equal(("background", "rows[0] is not 43 numbers"), (listed.Name, listed.Reason));
        Assert.Equal(4, broken.Models.Count);
        Assert.Null(broken.Background);
    }

    [Fact]
    public void ReplacingTheBackgroundSetOrATorchScriptModuleIsAChangeTheReloadSees()
    {
        var before = ModelDirectoryState.Of(_directory);
        BackgroundSet.Write(_directory, _reference.Flat().AsSpan(0, 4 * Observation.Width), "four rows");
        var withBackground = ModelDirectoryState.Of(_directory);
        File.Copy(
            Path.Combine(
                AppContext.BaseDirectory,
                "Fixtures",
                "torchscript",
                "deep_traced",
                ModelNames.TorchScriptFile
            ),
            Path.Combine(_directory, ModelNames.Bull, ModelNames.TorchScriptFile)
        );

        Assert.NotEqual(before, withBackground);
        Assert.NotEqual(withBackground, ModelDirectoryState.Of(_directory));
    }

    [Fact]
    public void ATorchScriptModuleIsExplainedLikeACheckpoint()
    {
        var fixture = Path.Combine(AppContext.BaseDirectory, "Fixtures", "torchscript", "layernorm_scripted");
        var bull = Path.Combine(_directory, ModelNames.Bull);
        File.Delete(Path.Combine(bull, ModelNames.CheckpointFile));
        foreach (var file in new[] { ModelNames.TorchScriptFile, ModelManifest.FileName })
        {
            File.Copy(Path.Combine(fixture, file), Path.Combine(bull, file));
        }

        BackgroundSet.Write(_directory, _reference.Flat().AsSpan(0, 32 * Observation.Width), "reference rows 0-31");
        using var set = ModelFixtures.Loader().Load(_directory, 1);
        Assert.Empty(set.Errors);

        var result = IntegratedGradients.ExplainExpected(
            set,
            _reference.Inputs[40],
            RowPlan.ForModel(ModelNames.Bull),
            ModelNames.Bull,
            1
        );

        Assert.InRange(Math.Abs(result.CompletenessGap), 0, 5e-3);
        Assert.Contains(result.Attributions, a => Math.Abs(a) > 1e-4);
    }
}
