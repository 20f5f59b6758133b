using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Risk;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Engine.UnitTests.Risk;

/// <summary>The concentration check over a book of mapped symbols (Risk:Sectors).</summary>
public sealed class SectorBookTests
{
    private static readonly SectorMap Tech = new(
        new Dictionary<string, string>
        {
            ["AAPL"] = "tech",
            ["msft"] = "tech",
            ["XOM"] = "energy",
        }
    );

    private static RiskChecker Checker(double concentration = 0.50) =>
        new(
            Options.Create(
                new RiskOptions
                {
                    PositionLimit = 10,
                    MaxLeverage = 10,
                    ConcentrationLimit = concentration,
                }
            )
        );

    /// <summary>An account of 100,000 at price 100 with <paramref name="fraction"/> of it in shares.</summary>
    private static PaperPortfolio Account(double fraction)
    {
        var portfolio = new PaperPortfolio();
        portfolio.Restore(100_000, 100_000 * (1 - fraction), 1_000 * fraction, 0, 100_000);
        return portfolio;
    }

    [Theory]
    // Own account 100,000 holding 10,000 (a BUY adds about 1,000); peers: 150,000 of tech in a 300,000 book.
    // After the trade: (10,999 + 150,000) / 400,000 = 40.25 %; it warns from 80 % of the limit.
    [InlineData(0.51, RiskCheckStatus.PASS)]
    [InlineData(0.50, RiskCheckStatus.WARNING)]
    [InlineData(0.4025, RiskCheckStatus.WARNING)]
    [InlineData(0.4015, RiskCheckStatus.FAIL)]
    public void TheSectorsShareOfTheBookIsCheckedAfterTheTrade(double limit, RiskCheckStatus expected)
    {
        var book = new SectorBook("tech", 150_000, 300_000);

        var result = Checker(limit).Assess(TradeAction.BUY, 100, Account(0.10), book);

        Assert.Equal(expected, result.Concentration);
        Assert.Equal(expected != RiskCheckStatus.FAIL, result.Approved);
        if (expected != RiskCheckStatus.PASS)
        {
            Assert.Contains(
                result.Warnings,
                w =>
                    w.StartsWith(
                        "concentration: sector tech would be 40.2 % of the book's value",
                        StringComparison.Ordinal
                    )
            );
        }
    }

    [Fact]
    public void PeersMakeATradeFailThatTheSymbolAloneWouldPass()
    {
        var checker = Checker(0.30);

        var alone = checker.Assess(TradeAction.BUY, 100, Account(0.10));
        var inBook = checker.Assess(TradeAction.BUY, 100, Account(0.10), new SectorBook("tech", 150_000, 300_000));
        var otherSector = checker.Assess(TradeAction.BUY, 100, Account(0.10), new SectorBook("tech", 0, 300_000));

        Assert.Equal(RiskCheckStatus.PASS, alone.Concentration);
        Assert.Equal(RiskCheckStatus.FAIL, inBook.Concentration);
        // A big book with nothing else in the sector dilutes the symbol's share.
        Assert.Equal(RiskCheckStatus.PASS, otherSector.Concentration);
        Assert.Equal(
            11_000 / 400_000.0,
            RiskChecker.SectorShare(11_000, 100_000, new SectorBook("tech", 0, 300_000)),
            12
        );
    }

    [Fact]
    public void ASectorNameWithBracesIsTextNotAFormat()
    {
        var result = Checker(0.30)
            .Assess(TradeAction.BUY, 100, Account(0.10), new SectorBook("{0} {tech}", 150_000, 300_000));

        Assert.Contains(
            result.Warnings,
            w =>
                w.StartsWith(
                    "concentration: sector {0} {tech} would be 40.2 % of the book's value",
                    StringComparison.Ordinal
                )
        );
    }

    [Fact]
    public void ASaleIsNeverBlockedByItsSectorOnlyWarned()
    {
        var result = Checker(0.30)
            .Assess(TradeAction.SELL, 100, Account(0.10), new SectorBook("tech", 150_000, 300_000));

        Assert.Equal(RiskCheckStatus.WARNING, result.Concentration);
        Assert.True(result.Approved);
    }

    [Fact]
    public void TheRiskGateTurnsAConcentratedBuyIntoHold()
    {
        var action = Checker(0.30)
            .Gate(TradeAction.BUY, 100, Account(0.10), out var assessment, new SectorBook("tech", 150_000, 300_000));

        Assert.Equal(TradeAction.HOLD, action);
        Assert.Equal(RiskCheckStatus.FAIL, assessment!.Concentration);
    }

    [Theory]
    [InlineData("not a symbol!", "tech", "is not a symbol")]
    [InlineData("AAPL", " ", "is empty")]
    public void ABadSectorMapIsRefusedAtStart(string symbol, string sector, string problem)
    {
        var options = new RiskOptions { Sectors = new() { [symbol] = sector } };

        var results = options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options));

        Assert.Contains(results, r => r.ErrorMessage!.Contains(problem, StringComparison.Ordinal));
    }
}
