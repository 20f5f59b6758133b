using Inference.Streaming.Contracts.Events;

namespace Inference.Streaming.Tests;

/// <summary>One instance of every contract with every field set, optional ones included.</summary>
internal static class SampleRecords
{
    private static readonly DateTime BarEnd = new(2026, 11, 26, 14, 31, 0, DateTimeKind.Utc);

    public static MarketTick Tick() =>
        new()
        {
            symbol = "AAPL",
            event_time = new DateTime(2026, 11, 26, 14, 30, 59, 123, DateTimeKind.Utc),
            price = 231.4567,
            size = 300,
            bid = 231.45,
            ask = 231.46,
            sequence = 9_876_543_210,
        };

    public static RegimeUpdate Regime() =>
        new()
        {
            symbol = "AAPL",
            event_time = BarEnd,
            bull = 0.6,
            bear = 0.1,
            sideways = 0.3,
            entropy = 0.8979457248567798,
            detector = "seed-rules",
            detector_version = "1.0.0",
        };

    public static TradingDecision Decision() =>
        new()
        {
            decision_id = "5b8f3c0e-8a5d-5c1e-9a51-2f9e6f2b7c11",
            symbol = "AAPL",
            bar_start = BarEnd.AddMinutes(-1),
            bar_end = BarEnd,
            action = TradeAction.HOLD,
            proposed_action = TradeAction.BUY,
            confidence = 0.71234,
            recommended_quantity = 12,
            regime = new RegimeProbabilities
            {
                bull = 0.6,
                bear = 0.1,
                sideways = 0.3,
                entropy = 0.8979457248567798,
            },
            strategy_weights = new StrategyWeights
            {
                bull_specialist = 0.5384615384615384,
                bear_specialist = 0.15384615384615385,
                sideways_specialist = 0.3076923076923077,
            },
            selection = "argmax",
            selected_model = "bull_specialist",
            model_version = "best_model",
            risk = new RiskResult
            {
                approved = false,
                warnings = ["position_limit: position would be 31% of portfolio (limit 25%)"],
                checks = new RiskChecks
                {
                    position_limit = RiskCheckStatus.FAIL,
                    concentration = RiskCheckStatus.WARNING,
                    daily_loss_limit = RiskCheckStatus.PASS,
                    leverage = RiskCheckStatus.PASS,
                },
            },
            produced_at = BarEnd.AddMilliseconds(3),
            latency_ms = 2.75,
        };

    public static DecisionForensics Forensics() =>
        new()
        {
            decision = Decision(),
            feature_layout = "seed-43",
            features = [.. Enumerable.Range(0, 43).Select(i => (float)Math.Sin(i) / 7f)],
            model_outputs =
            [
                new ModelOutput
                {
                    model = "bull_specialist",
                    version = "best_model",
                    sha256 = new string('a', 64),
                    probabilities = [0.2, 0.71234, 0.08766],
                    value = 0.42,
                },
                new ModelOutput
                {
                    model = "universal",
                    version = "best_model",
                    sha256 = new string('b', 64),
                    probabilities = [0.5, 0.25, 0.25],
                    value = -0.1,
                },
            ],
            input = new InputPosition
            {
                topic = "market-ticks",
                partition = 4,
                offset = 123_456_789_012,
            },
            config_fingerprint = new string('c', 64),
            timings = new DecisionTimings
            {
                queue_ms = 0.5,
                inference_ms = 1.25,
                total_ms = 2.75,
            },
        };

    public static SymbolStateSnapshot Snapshot() =>
        new()
        {
            symbol = "AAPL",
            as_of = BarEnd,
            state_version = 2,
            last_input_partition = 4,
            last_input_offset = 123_456_789_012,
            checkpoint = new StateCheckpoint
            {
                partition = 4,
                ticks_offset = 99,
                regimes_offset = 7,
                watermark_ms = 1_767_225_660_000,
                sequence = 12,
            },
            bar = new OpenBarState
            {
                start_ms = 60_000,
                end_ms = 120_000,
                open = 1,
                high = 2,
                low = 0.5,
                close = 1.5,
                volume = 10,
                ticks = 3,
            },
            closed_until_ms = 60_000,
            indicators = new IndicatorState
            {
                bar_count = 3,
                ema12 = 1.1,
                ema26 = 1.05,
                signal = 0.01,
                closes = [1.0, 1.2, 1.1],
                true_ranges = [0.1, 0.3, 0.2],
                volumes = [10, 0, 5],
            },
            portfolio = new PortfolioState
            {
                initial_capital = 100_000,
                cash = 98_000.5,
                shares = 12.25,
                day = 20_454,
                day_open_value = 100_010,
            },
            regime = new RegimeSnapshot
            {
                bull = 0.6,
                bear = 0.1,
                sideways = 0.3,
                entropy = 0.8979457248567798,
            },
            pending_regimes =
            [
                new PendingRegime
                {
                    event_time_ms = 180_000,
                    bull = 0.1,
                    bear = 0.6,
                    sideways = 0.3,
                    entropy = 0.9,
                },
            ],
        };
}
