using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Tools.Experiments;

namespace Inference.Streaming.Worker.UnitTests.Experiments;

/// <summary>The report's numbers on records whose portfolios are known by construction.</summary>
public sealed class ExperimentAnalysisTests
{
    private static readonly DateTime Start = new(2026, 3, 2, 14, 30, 0, DateTimeKind.Utc);

    private static DecisionForensics Record(
        string symbol,
        int bar,
        double cash,
        double shares,
        double close,
        TradeAction action,
        ExperimentArm? arm
    ) =>
        new()
        {
            decision = new TradingDecision
            {
                decision_id = $"{symbol}-{bar}-{arm?.arm ?? "live"}",
                symbol = symbol,
                bar_end = Start.AddMinutes(bar),
                action = action,
                experiment = arm,
            },
            risk_inputs = new RiskInputs
            {
                cash = cash,
                shares = shares,
                close = close,
                initial_capital = 1000,
            },
        };

    private static ExperimentArm Shadow =>
        new()
        {
            id = "exp",
            arm = "challenger",
            mode = "shadow",
        };

    private static ExperimentArm Ab(string arm) =>
        new()
        {
            id = "ab",
            arm = arm,
            mode = "ab",
        };

    /// <summary>
    /// One symbol, three bars. The champion holds cash (value 1000 throughout). The challenger buys 10 at 50 at
    /// bar 0 (1000 → 500 cash + 10 shares), the price goes 50 → 60 → 45: values 1000, 1100, 950.
    /// </summary>
    private static List<DecisionForensics> ShadowRun() =>
        [
            Record("AAA", 0, 1000, 0, 50, TradeAction.HOLD, null),
            Record("AAA", 1, 1000, 0, 60, TradeAction.HOLD, null),
            Record("AAA", 2, 1000, 0, 45, TradeAction.BUY, null),
            Record("AAA", 0, 1000, 0, 50, TradeAction.BUY, Shadow),
            Record("AAA", 1, 500, 10, 60, TradeAction.HOLD, Shadow),
            Record("AAA", 2, 500, 10, 45, TradeAction.BUY, Shadow),
        ];

    [Fact]
    public void AShadowRunsArmsAreMeasuredFromTheirOwnPortfolios()
    {
        var report = ExperimentAnalysis.Analyse(ShadowRun());

        var (champion, challenger) = (report.Arms[0], report.Arms[1]);
        Assert.Equal(("exp", "shadow"), (report.Experiment, report.Mode));
        Assert.Equal((3, 0.0, 0.0, 0.0), (champion.Decisions, champion.Pnl, champion.Return, champion.MaxDrawdown));
        Assert.Equal(3, challenger.Decisions);
        Assert.Equal(2, challenger.Trades);
        Assert.Equal(-50, challenger.Pnl, 9);
        Assert.Equal(-0.05, challenger.Return, 9);
        // Peak 1100, then 950.
        Assert.Equal(150.0 / 1100, challenger.MaxDrawdown, 9);
        // Ten shares bought at 50: 500 traded on 1000 of capital.
        Assert.Equal(0.5, challenger.Turnover, 9);
        // Per-bar returns +10 % and -13.6 %.
        var (r1, r2) = (0.1, (950.0 / 1100) - 1);
        var mean = (r1 + r2) / 2;
        var sd = Math.Sqrt(((r1 - mean) * (r1 - mean)) + ((r2 - mean) * (r2 - mean)));
        Assert.Equal(mean / sd, challenger.Sharpe, 9);
        // The arms agreed on bars 1 and 2.
        Assert.Equal(2.0 / 3, report.Agreement!.Value, 9);
        Assert.Equal(3, report.AgreementPairs);
        Assert.Equal((2, 1), (report.Comparison!.Pairs, report.Comparison.Blocks));
        Assert.Equal(mean, report.Comparison.Estimate, 9);
    }

    [Fact]
    public void RecordsARestartRepeatedCountOnceAndTheSameSeedGivesTheSameReport()
    {
        var records = ShadowRun();
        var repeated = records.Concat(records.Take(4)).ToList();

        var once = ExperimentAnalysis.Analyse(records);
        var twice = ExperimentAnalysis.Analyse(repeated);

        Assert.Equal(10, twice.RecordsRead);
        Assert.Equal(6, twice.RecordsUsed);
        Assert.Equal(once.Arms, twice.Arms);
        Assert.Equal(once.Comparison, twice.Comparison);
    }

    [Fact]
    public void TheBootstrapIntervalCoversTheEstimateAndNarrowsWithMoreBlocks()
    {
        var random = new Random(5);
        List<DecisionForensics> Run(int symbols)
        {
            var records = new List<DecisionForensics>();
            for (var s = 0; s < symbols; s++)
            {
                var (price, shares) = (100.0, 5.0);
                for (var bar = 0; bar < 20; bar++)
                {
                    var symbol = $"S{s:D3}";
                    records.Add(Record(symbol, bar, 1000, 0, price, TradeAction.HOLD, null));
                    records.Add(Record(symbol, bar, 500, shares, price, TradeAction.HOLD, Shadow));
                    price *= 1 + ((random.NextDouble() - 0.45) * 0.02);
                }
            }

            return records;
        }

        var few = ExperimentAnalysis.Analyse(Run(4)).Comparison!;
        var many = ExperimentAnalysis.Analyse(Run(64)).Comparison!;

        Assert.InRange(few.Estimate, few.Low, few.High);
        Assert.InRange(many.Estimate, many.Low, many.High);
        Assert.True(many.High - many.Low < few.High - few.Low);
        Assert.Equal((64, "symbol-day"), (many.Blocks, many.Block));
    }

    [Fact]
    public void AnAbRunComparesTheArmsDayByDayAndHasNoAgreement()
    {
        var records = new List<DecisionForensics>
        {
            Record("AAA", 0, 1000, 0, 50, TradeAction.HOLD, Ab("champion")),
            Record("AAA", 1, 1000, 0, 55, TradeAction.HOLD, Ab("champion")),
            Record("BBB", 0, 500, 10, 50, TradeAction.HOLD, Ab("challenger")),
            Record("BBB", 1, 500, 10, 55, TradeAction.HOLD, Ab("challenger")),
        };

        var report = ExperimentAnalysis.Analyse(records);

        Assert.Equal("ab", report.Mode);
        Assert.Null(report.Agreement);
        Assert.Equal("day", report.Comparison!.Block);
        Assert.Equal(50, report.Arms[1].Pnl, 9);
        Assert.Equal(0.05, report.Comparison.Estimate, 9);
    }

    [Fact]
    public void RecordsWithoutAnExperimentOrWithSeveralAreRefusedClearly()
    {
        var none = Assert.Throws<ArgumentException>(() =>
            ExperimentAnalysis.Analyse([Record("AAA", 0, 1000, 0, 50, TradeAction.HOLD, null)])
        );
        var several = Assert.Throws<ArgumentException>(() =>
            ExperimentAnalysis.Analyse([
                .. ShadowRun(),
                Record("BBB", 0, 1000, 0, 50, TradeAction.HOLD, Ab("champion")),
            ])
        );
        var unknown = Assert.Throws<ArgumentException>(() => ExperimentAnalysis.Analyse(ShadowRun(), "other"));

        Assert.Contains("no record names an experiment", none.Message, StringComparison.Ordinal);
        Assert.Contains("2 experiments (ab, exp)", several.Message, StringComparison.Ordinal);
        Assert.Contains("no record of experiment 'other'", unknown.Message, StringComparison.Ordinal);
    }
}
