using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Decisions;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Engine.Regimes;

namespace Inference.Streaming.Engine.UnitTests.Regimes;

public sealed class RegimeAndPolicyTests
{
    [Fact]
    public void ThePriorIsUniformWithMaximalEntropy()
    {
        Assert.Equal(1.0 / 3, RegimeState.Prior.Bull, 15);
        Assert.Equal(Math.Log(3), RegimeState.Prior.Entropy, 12);
    }

    [Fact]
    public void ProbabilitiesWithinTheToleranceAreRenormalisedAndEntropyComputed()
    {
        var state = RegimeState.TryCreate(0.504, 0.252, 0.252, null, out var problem);

        Assert.Null(problem);
        Assert.Equal(0.5, state!.Value.Bull, 15);
        var expected = -(0.5 * Math.Log(0.5)) - (2 * 0.25 * Math.Log(0.25));
        Assert.Equal(expected, state.Value.Entropy, 12);
    }

    [Theory]
    [InlineData(5.0)]
    [InlineData(0.0)]
    [InlineData(1.0986)]
    public void TheSendersEntropyIsNotTrustedButRecomputed(double claimed)
    {
        var state = RegimeState.TryCreate(0.6, 0.1, 0.3, claimed, out var problem);

        Assert.Null(problem);
        Assert.Equal(RegimeState.FromProbabilities(0.6, 0.1, 0.3).Entropy, state!.Value.Entropy, 15);
        Assert.True(state.Value.Entropy <= Math.Log(3));
    }

    [Theory]
    [InlineData(-0.1, 0.6, 0.5)]
    [InlineData(double.NaN, 0.5, 0.5)]
    [InlineData(double.PositiveInfinity, 0.5, 0.5)]
    [InlineData(0, 0, 0)]
    [InlineData(1e308, 1e308, 1e308)]
    [InlineData(2, 1, 1)]
    [InlineData(1.5, 0, 0)]
    [InlineData(0.5, 0.3, 0.1)]
    [InlineData(0.5, 0.3, 0.3)]
    public void InvalidProbabilitiesAreRejected(double bull, double bear, double sideways)
    {
        Assert.Null(RegimeState.TryCreate(bull, bear, sideways, null, out var problem));
        Assert.NotNull(problem);
    }

    [Fact]
    public void WeightsFollowTheMetaControllerRule()
    {
        var weights = new MetaControllerWeights().WeightsFor(RegimeState.FromProbabilities(0.6, 0.1, 0.3));

        Assert.Equal(0.7 / 1.3, weights.Bull, 12);
        Assert.Equal(0.2 / 1.3, weights.Bear, 12);
        Assert.Equal(0.4 / 1.3, weights.Sideways, 12);
    }

    [Theory]
    [InlineData(0.5, 0.3, 0.2, ModelNames.Bull)]
    [InlineData(0.2, 0.5, 0.3, ModelNames.Bear)]
    [InlineData(0.2, 0.3, 0.5, ModelNames.Sideways)]
    [InlineData(0.4, 0.4, 0.2, ModelNames.Bull)]
    [InlineData(0.2, 0.4, 0.4, ModelNames.Bear)]
    [InlineData(0.3, 0.3, 0.3, ModelNames.Bull)]
    public void ArgmaxTiesGoBullThenBearThenSideways(double bull, double bear, double sideways, string expected) =>
        Assert.Equal(expected, DecisionPolicy.ArgmaxSpecialist(new SpecialistWeights(bull, bear, sideways)));

    [Fact]
    public void MixturePlansCarryTheWeights()
    {
        var plan = DecisionPolicy.Plan(SelectionStrategy.Mixture, new SpecialistWeights(0.5, 0.3, 0.2));

        Assert.True(plan.IsMixture);
        Assert.Equal(0.3, plan.WeightOf(ModelNames.Bear));
    }

    [Theory]
    [InlineData("argmax", true)]
    [InlineData("MIXTURE", true)]
    [InlineData("ensemble", false)]
    [InlineData("1", false)]
    [InlineData(null, false)]
    public void UnknownStrategyNamesAreErrors(string? name, bool known) =>
        Assert.Equal(known, DecisionPolicy.TryParseStrategy(name, out _));

    [Fact]
    public void TheActionIsTheArgmaxWithTiesToTheLowerIndex()
    {
        Assert.Equal((TradeAction.BUY, 0.5), DecisionPolicy.Act([0.2, 0.5, 0.3]));
        Assert.Equal((TradeAction.HOLD, 0.4), DecisionPolicy.Act([0.4, 0.4, 0.2]));
    }

    [Theory]
    [InlineData(TradeAction.HOLD, 0.9, 0.0, 0)]
    [InlineData(TradeAction.BUY, 0.9, 0.0, 90)]
    [InlineData(TradeAction.SELL, 0.8, 0.5493061443340549, 40)]
    [InlineData(TradeAction.BUY, 0.9, 1.0986122886681098, 1)]
    [InlineData(TradeAction.BUY, 0.004, 0.0, 1)]
    public void QuantityScalesWithConfidenceAndNormalisedCertainty(
        TradeAction action,
        double confidence,
        double entropy,
        int expected
    ) => Assert.Equal(expected, DecisionPolicy.Quantity(action, confidence, entropy));
}
