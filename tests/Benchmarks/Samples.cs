using Inference.Streaming.Contracts.Events;

namespace Inference.Streaming.Benchmarks;

/// <summary>A representative forensics record (43 features, one model output).</summary>
internal static class Samples
{
    public static DecisionForensics Forensics() =>
        new()
        {
            decision = new TradingDecision
            {
                decision_id = Guid.NewGuid().ToString(),
                symbol = "AAPL",
                bar_start = DateTime.UtcNow,
                bar_end = DateTime.UtcNow,
                action = TradeAction.BUY,
                proposed_action = TradeAction.BUY,
                confidence = 0.5,
                recommended_quantity = 10,
                regime = new RegimeProbabilities
                {
                    bull = 0.3,
                    bear = 0.3,
                    sideways = 0.4,
                    entropy = 1,
                },
                strategy_weights = new StrategyWeights
                {
                    bull_specialist = 0.3,
                    bear_specialist = 0.3,
                    sideways_specialist = 0.4,
                },
                selection = "argmax",
                selected_model = "bull_specialist",
                model_version = "set-0123456789ab",
                risk = new RiskResult
                {
                    approved = true,
                    warnings = [],
                    checks = new RiskChecks(),
                },
                produced_at = DateTime.UtcNow,
                latency_ms = 1,
            },
            feature_layout = "seed-43",
            features = [.. Enumerable.Range(0, 43).Select(i => i / 43f)],
            model_outputs =
            [
                new ModelOutput
                {
                    model = "bull_specialist",
                    version = "best_model",
                    sha256 = new string('a', 64),
                    probabilities = [0.2, 0.5, 0.3],
                    value = 0.1,
                },
            ],
            input = new InputPosition
            {
                topic = "market-ticks",
                partition = 1,
                offset = 2,
            },
            config_fingerprint = new string('c', 64),
            timings = new DecisionTimings(),
        };
}
