using Inference.Streaming.Engine.Inference;
using static TorchSharp.torch;

namespace Inference.Streaming.Engine.UnitTests.Inference;

public sealed class IntegratedGradientsTests : IDisposable
{
    private readonly ModelSet _set = ModelFixtures.Loader().Load(ModelFixtures.Directory, 1);
    private readonly ModelFixtures.Reference _reference = ModelFixtures.ReferenceOf(ModelNames.Bull);

    public void Dispose() => _set.Dispose();

    [Fact]
    public void AttributionsAddUpToTheOutputDifferenceFromTheBaseline()
    {
        foreach (var row in _reference.Inputs.Take(8))
        {
            var result = IntegratedGradients.Explain(
                _set,
                row,
                RowPlan.ForModel(ModelNames.Bull),
                ModelNames.Bull,
                action: 1
            );

            // Stated tolerance: 2e-3 of probability with 64 midpoint steps.
            Assert.InRange(Math.Abs(result.CompletenessGap), 0, 2e-3);
            Assert.Equal(_reference.Probs[Array.IndexOf(_reference.Inputs, row)][1], result.Output, 6);
        }
    }

    [Fact]
    public void MoreStepsConvergeOnCompleteness()
    {
        var row = _reference.Inputs[3];

        var coarse = IntegratedGradients.Explain(
            _set,
            row,
            RowPlan.ForModel(ModelNames.Bull),
            ModelNames.Bull,
            2,
            steps: 4
        );
        var fine = IntegratedGradients.Explain(
            _set,
            row,
            RowPlan.ForModel(ModelNames.Bull),
            ModelNames.Bull,
            2,
            steps: 512
        );

        // ReLU kinks make the path integrand non-smooth, so the error falls roughly as 1/steps.
        Assert.True(
            Math.Abs(fine.CompletenessGap) < Math.Abs(coarse.CompletenessGap) / 4,
            $"4 steps: {coarse.CompletenessGap}, 512 steps: {fine.CompletenessGap}"
        );
        Assert.InRange(Math.Abs(fine.CompletenessGap), 0, 1e-3);
    }

    [Fact]
    public void AFeatureTheModelIgnoresGetsExactlyZero()
    {
        const int ignored = 7;
        var set = ModelFixtures.Loader().Load(ModelFixtures.Directory, 2);
        try
        {
            var network = set.Models[ModelNames.Bear].Network;
            using (no_grad())
            {
                var firstLayer = network
                    .named_parameters()
                    .Single(p => p.name == "feature_extractor.0.weight")
                    .parameter;
                firstLayer[.., ignored] = zeros(firstLayer.shape[0], dtype: firstLayer.dtype);
            }

            var result = IntegratedGradients.Explain(
                set,
                _reference.Inputs[0],
                RowPlan.ForModel(ModelNames.Bear),
                ModelNames.Bear,
                action: 0
            );

            Assert.NotEqual(0f, _reference.Inputs[0][ignored]);
            Assert.Equal(0.0, result.Attributions[ignored]);
            Assert.Contains(result.Attributions, a => Math.Abs(a) > 1e-6);
        }
        finally
        {
            set.Dispose();
        }
    }

    [Fact]
    public void AMixturesAttributionsAreTheWeightedSumOfItsSpecialists()
    {
        var row = _reference.Inputs[5];
        var plan = RowPlan.Mixture(0.5, 0.3, 0.2);

        var mixture = IntegratedGradients.Explain(_set, row, plan, "mixture", action: 1);
        var parts = new[] { (ModelNames.Bull, 0.5), (ModelNames.Bear, 0.3), (ModelNames.Sideways, 0.2) }
            .Select(p =>
                (IntegratedGradients.Explain(_set, row, RowPlan.ForModel(p.Item1), p.Item1, action: 1), p.Item2)
            )
            .ToList();

        for (var i = 0; i < row.Length; i++)
        {
            Assert.Equal(parts.Sum(p => p.Item2 * p.Item1.Attributions[i]), mixture.Attributions[i], 9);
        }
    }
}
