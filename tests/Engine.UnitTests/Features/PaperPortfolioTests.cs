using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Features;

namespace Inference.Streaming.Engine.UnitTests.Features;

public sealed class PaperPortfolioTests
{
    [Fact]
    public void ABuyInvestsOnePercentOfValueWithCommissionOnTop()
    {
        var portfolio = new PaperPortfolio();

        portfolio.Apply(TradeAction.BUY, 50);

        Assert.Equal(1_000 / (50 * 1.001), portfolio.Shares, 12);
        Assert.Equal(99_000, portfolio.Cash, 9);
        Assert.Equal(99_000 + (portfolio.Shares * 50), portfolio.ValueAt(50), 9);
    }

    [Fact]
    public void ASellClosesTheWholePositionPayingCommission()
    {
        var portfolio = new PaperPortfolio();
        portfolio.Apply(TradeAction.BUY, 50);
        var shares = portfolio.Shares;

        portfolio.Apply(TradeAction.SELL, 60);

        Assert.Equal(0, portfolio.Shares);
        Assert.Equal(99_000 + (shares * 60 * 0.999), portfolio.Cash, 9);
    }

    [Fact]
    public void HoldAndSellingNothingChangeNothing()
    {
        var portfolio = new PaperPortfolio();

        portfolio.Apply(TradeAction.HOLD, 50);
        portfolio.Apply(TradeAction.SELL, 50);

        Assert.Equal(100_000, portfolio.Cash);
        Assert.Equal(0, portfolio.Shares);
    }

    [Fact]
    public void TheObservationPartFollowsTheSeed()
    {
        var portfolio = new PaperPortfolio();
        portfolio.Apply(TradeAction.BUY, 100);
        var observation = new double[3];

        portfolio.Write(observation, 110);

        var value = portfolio.Cash + (portfolio.Shares * 110);
        Assert.Equal(portfolio.Cash / value, observation[0], 12);
        Assert.Equal(portfolio.Shares * 110 / value, observation[1], 12);
        Assert.Equal((value / 100_000) - 1, observation[2], 12);
    }

    [Fact]
    public void AnEmptyPortfolioReportsAllCash()
    {
        var portfolio = new PaperPortfolio();
        portfolio.Restore(100_000, 0, 0, -1, 100_000);
        var observation = new double[3];

        portfolio.Write(observation, 10);

        Assert.Equal([1.0, 0.0, -1.0], observation);
    }

    [Fact]
    public void TheDayOpenValueResetsOnANewUtcDay()
    {
        var portfolio = new PaperPortfolio();
        portfolio.Apply(TradeAction.BUY, 100);
        var day = 86_400_000L * 20_000;

        portfolio.MarkDay(day + 60_000, 100);
        var open = portfolio.DayOpenValue;
        portfolio.MarkDay(day + 120_000, 50);
        Assert.Equal(open, portfolio.DayOpenValue);

        portfolio.MarkDay(day + 86_400_000 + 60_000, 50);
        Assert.Equal(portfolio.ValueAt(50), portfolio.DayOpenValue);
    }
}
