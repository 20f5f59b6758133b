using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Risk;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Engine.UnitTests.Risk;

public sealed class RiskCheckerTests
{
    private static RiskChecker Checker(Action<RiskOptions>? configure = null)
    {
        var options = new RiskOptions();
        configure?.Invoke(options);
        return new RiskChecker(Options.Create(options));
    }

    /// <summary>A portfolio whose position is <paramref name="fraction"/> of its value at price 100.</summary>
    private static PaperPortfolio WithPosition(double fraction)
    {
        var portfolio = new PaperPortfolio();
        portfolio.Restore(100_000, 100_000 * (1 - fraction), 1_000 * fraction, 0, 100_000);
        return portfolio;
    }

    [Fact]
    public void AnEmptyPortfolioPassesEverything()
    {
        var result = Checker().Assess(TradeAction.BUY, 100, new PaperPortfolio());

        Assert.True(result.Approved);
        Assert.Empty(result.Warnings);
        Assert.Equal(RiskCheckStatus.PASS, result.PositionLimit);
    }

    [Theory]
    [InlineData(0.10, RiskCheckStatus.PASS)]
    [InlineData(0.195, RiskCheckStatus.WARNING)]
    [InlineData(0.2395, RiskCheckStatus.WARNING)]
    [InlineData(0.2405, RiskCheckStatus.FAIL)]
    public void ThePositionLimitIsCheckedAfterTheTrade(double fraction, RiskCheckStatus expected)
    {
        // A BUY adds about 1% of value.
        var result = Checker().Assess(TradeAction.BUY, 100, WithPosition(fraction));

        Assert.Equal(expected, result.PositionLimit);
        Assert.Equal(expected != RiskCheckStatus.FAIL, result.Approved);
        Assert.Equal(
            expected == RiskCheckStatus.PASS,
            !result.Warnings.Any(w => w.StartsWith("position_limit", StringComparison.Ordinal))
        );
    }

    [Fact]
    public void ASellPassesThePositionLimitWhateverThePosition() =>
        Assert.Equal(RiskCheckStatus.PASS, Checker().Assess(TradeAction.SELL, 100, WithPosition(0.9)).PositionLimit);

    [Theory]
    [InlineData(0.45, RiskCheckStatus.WARNING)]
    [InlineData(0.52, RiskCheckStatus.FAIL)]
    public void ConcentrationUsesItsOwnLimit(double fraction, RiskCheckStatus expected) =>
        Assert.Equal(
            expected,
            Checker(o => o.PositionLimit = 10).Assess(TradeAction.HOLD, 100, WithPosition(fraction)).Concentration
        );

    [Theory]
    [InlineData(98_500, RiskCheckStatus.PASS)]
    [InlineData(98_300, RiskCheckStatus.WARNING)]
    [InlineData(97_900, RiskCheckStatus.FAIL)]
    public void TheDailyLossLimitComparesWithTheDaysOpeningValue(double valueNow, RiskCheckStatus expected)
    {
        var portfolio = new PaperPortfolio();
        portfolio.Restore(100_000, valueNow, 0, 0, 100_000);

        var result = Checker().Assess(TradeAction.BUY, 100, portfolio);

        Assert.Equal(expected, result.DailyLossLimit);
        Assert.Equal(expected != RiskCheckStatus.FAIL, result.Approved);
    }

    [Fact]
    public void LeverageFailsAboveItsLimit()
    {
        var result = Checker(o => (o.PositionLimit, o.ConcentrationLimit) = (10, 10))
            .Assess(TradeAction.HOLD, 100, WithPosition(1.6));

        Assert.Equal(RiskCheckStatus.FAIL, result.Leverage);
        Assert.False(result.ToContract().approved);
        Assert.Contains(result.Warnings, w => w.StartsWith("leverage", StringComparison.Ordinal));
    }
}
