using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Regimes;

namespace Inference.Streaming.Worker.State;

/// <summary>
/// Converts a symbol's state to its changelog record and back, exactly: every double travels as
/// an Avro double, so a restored symbol computes bit-for-bit what the original would have.
/// </summary>
public static class StateCodec
{
    public const int Version = 2;
    public const string CheckpointKey = "__checkpoint__";

    public static SymbolStateSnapshot ToSnapshot(SymbolState state, long asOfMs)
    {
        var indicators = state.Indicators;
        var portfolio = state.Portfolio;
        var bar = state.Bars.OpenBar;
        return new SymbolStateSnapshot
        {
            symbol = state.Symbol,
            as_of = DateTimeOffset.FromUnixTimeMilliseconds(asOfMs).UtcDateTime,
            state_version = Version,
            bar = state.Bars.HasOpenBar
                ? new OpenBarState
                {
                    start_ms = bar.StartMs,
                    end_ms = bar.EndMs,
                    open = bar.Open,
                    high = bar.High,
                    low = bar.Low,
                    close = bar.Close,
                    volume = bar.Volume,
                    ticks = bar.Ticks,
                }
                : null,
            closed_until_ms = state.Bars.ClosedUntilMs == long.MinValue ? null : state.Bars.ClosedUntilMs,
            indicators = new IndicatorState
            {
                bar_count = indicators.BarCount,
                ema12 = indicators.Ema12,
                ema26 = indicators.Ema26,
                signal = indicators.Signal,
                closes = indicators.Closes.ToArray(),
                true_ranges = indicators.TrueRanges.ToArray(),
                volumes = indicators.Volumes.ToArray(),
            },
            portfolio = Portfolio(portfolio),
            shadow_portfolio = state.ShadowPortfolio is { } shadow ? Portfolio(shadow) : null,
            regime = Regime(state.Regime),
            pending_regimes =
            [
                .. state.HeldRegimes.Select(r => new PendingRegime
                {
                    event_time_ms = r.EventTimeMs,
                    bull = r.Regime.Bull,
                    bear = r.Regime.Bear,
                    sideways = r.Regime.Sideways,
                    entropy = r.Regime.Entropy,
                }),
            ],
        };
    }

    public static SymbolStateSnapshot Checkpoint(PartitionState partition, long asOfMs) =>
        new()
        {
            symbol = CheckpointKey,
            as_of = DateTimeOffset.FromUnixTimeMilliseconds(asOfMs).UtcDateTime,
            state_version = Version,
            checkpoint = new StateCheckpoint
            {
                partition = partition.Partition,
                ticks_offset = partition.TicksOffset,
                regimes_offset = partition.RegimesOffset,
                watermark_ms = partition.WatermarkMs,
                sequence = partition.CheckpointSequence,
                regime_frontier_ms = partition.RegimeFrontierMs == long.MinValue ? null : partition.RegimeFrontierMs,
            },
            pending_regimes = [],
        };

    /// <summary>Rebuilds a symbol; a version-1 snapshot (no state payload) gives a fresh symbol.</summary>
    public static SymbolState FromSnapshot(SymbolStateSnapshot snapshot, long barIntervalMs, double initialCapital)
    {
        var state = new SymbolState(snapshot.symbol, barIntervalMs, initialCapital);
        if (snapshot.bar is { } bar)
        {
            state.Bars.Restore(
                true,
                new Bar(bar.start_ms, bar.end_ms, bar.open, bar.high, bar.low, bar.close, bar.volume, bar.ticks),
                snapshot.closed_until_ms ?? long.MinValue
            );
        }
        else
        {
            state.Bars.Restore(false, default, snapshot.closed_until_ms ?? long.MinValue);
        }

        if (snapshot.indicators is { } indicators)
        {
            state.Indicators.Closes.Restore([.. indicators.closes]);
            state.Indicators.TrueRanges.Restore([.. indicators.true_ranges]);
            state.Indicators.Volumes.Restore([.. indicators.volumes]);
            state.Indicators.Restore(indicators.bar_count, indicators.ema12, indicators.ema26, indicators.signal);
        }

        if (snapshot.portfolio is { } portfolio)
        {
            Restore(state.Portfolio, portfolio);
        }

        if (snapshot.shadow_portfolio is { } shadowPortfolio)
        {
            Restore(state.RestoreShadowPortfolio(), shadowPortfolio);
        }

        if (snapshot.regime is { } regime)
        {
            state.Regime = new RegimeState(regime.bull, regime.bear, regime.sideways, regime.entropy);
        }

        state.RestoreHeldRegimes(
            snapshot.pending_regimes.Select(r =>
                (r.event_time_ms, new RegimeState(r.bull, r.bear, r.sideways, r.entropy))
            )
        );
        return state;
    }

    private static RegimeSnapshot Regime(RegimeState regime) =>
        new()
        {
            bull = regime.Bull,
            bear = regime.Bear,
            sideways = regime.Sideways,
            entropy = regime.Entropy,
        };

    private static PortfolioState Portfolio(PaperPortfolio portfolio) =>
        new()
        {
            initial_capital = portfolio.InitialCapital,
            cash = portfolio.Cash,
            shares = portfolio.Shares,
            day = portfolio.Day,
            day_open_value = portfolio.DayOpenValue,
        };

    private static void Restore(PaperPortfolio portfolio, PortfolioState state) =>
        portfolio.Restore(state.initial_capital, state.cash, state.shares, state.day, state.day_open_value);
}
