using Inference.Streaming.Engine.Inference;
using static TorchSharp.torch;

namespace Inference.Streaming.Engine.UnitTests.Inference;

/// <summary>
/// A model that returns NaN at run time counts as failed for that row, as if it were not loaded:
/// argmax falls back to universal, a mixture drops it, and a row nothing can decide says why.
/// </summary>
public sealed class EngineFailureTests : IDisposable
{
    private readonly ModelSet _set = ModelFixtures.Loader().Load(ModelFixtures.Directory, 1);
    private readonly float[] _row = ModelFixtures.ReferenceOf(ModelNames.Bull).Inputs[0];

    public void Dispose() => _set.Dispose();

    [Fact]
    public void AnArgmaxRowWhoseModelReturnsNaNFallsBackToUniversal()
    {
        var expected = InferenceEngine.Run(_set, _row, 43, [RowPlan.ForModel(ModelNames.Universal)])[0];
        Poison(ModelNames.Bull);

        var result = InferenceEngine.Run(_set, _row, 43, [RowPlan.ForModel(ModelNames.Bull)])[0];

        Assert.True(result.Succeeded);
        Assert.Equal(ModelNames.Universal, result.DecidedBy);
        Assert.Equal(expected.Probabilities, result.Probabilities);
        Assert.DoesNotContain(result.Outputs, o => o.Model == ModelNames.Bull);
    }

    [Fact]
    public void AMixtureDropsTheFailingSpecialistAndRenormalises()
    {
        // The reference comes from a set of its own: a set stacks its specialists' weights on first use, so
        // poisoning a network it has already stacked would not reach the stack (weights never change once loaded).
        using var clean = ModelFixtures.Loader().Load(ModelFixtures.Directory, 2);
        var withoutBull = InferenceEngine.Run(clean, _row, 43, [RowPlan.Mixture(0, 0.3, 0.2)])[0];
        Poison(ModelNames.Bull);

        var result = InferenceEngine.Run(_set, _row, 43, [RowPlan.Mixture(0.5, 0.3, 0.2)])[0];

        Assert.Equal("mixture", result.DecidedBy);
        Assert.Equal([ModelNames.Bear, ModelNames.Sideways], result.Outputs.Select(o => o.Model));
        for (var a = 0; a < 3; a++)
        {
            Assert.Equal(withoutBull.Probabilities[a], result.Probabilities[a], 12);
        }
    }

    [Fact]
    public void ARowNothingCanDecideFailsWithTheReasonAndTheOthersInTheBatchAreDecided()
    {
        Poison(ModelNames.Bull);
        Poison(ModelNames.Universal);

        var results = InferenceEngine.Run(
            _set,
            [.. _row, .. _row],
            43,
            [RowPlan.ForModel(ModelNames.Bull), RowPlan.ForModel(ModelNames.Bear)]
        );

        Assert.False(results[0].Succeeded);
        Assert.Equal(DecisionFailure.NonFiniteOutput, results[0].Failure);
        Assert.Contains(ModelNames.Bull, results[0].FailureDetail, StringComparison.Ordinal);
        Assert.Contains(ModelNames.Universal, results[0].FailureDetail, StringComparison.Ordinal);
        Assert.Empty(results[0].Probabilities);
        Assert.True(results[1].Succeeded);
        Assert.Equal(ModelNames.Bear, results[1].DecidedBy);
    }

    private void Poison(string name)
    {
        using (no_grad())
        {
            _set.Models[name]
                .Network.named_parameters()
                .First(p => p.name == "critic.2.bias")
                .parameter.fill_(double.NaN);
        }
    }
}
