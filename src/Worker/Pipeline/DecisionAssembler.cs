using System.Security.Cryptography;
using System.Text;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Worker.Features;
using Inference.Streaming.Worker.Inference;
using Inference.Streaming.Worker.Risk;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Pipeline;

/// <summary>
/// Turns a row's model outputs into the published decision: action, confidence, quantity, risk
/// (a failed check turns BUY/SELL into HOLD, recorded in both records), the portfolio update with
/// the action actually published, and the forensics record with everything needed to re-run it.
/// </summary>
public sealed class DecisionAssembler
{
    private readonly RiskChecker _risk;
    private readonly TimeProvider _time;

    public DecisionAssembler(RiskChecker risk, TimeProvider time, IOptions<FeatureOptions> features, IOptions<InferenceOptions> inference, IOptions<RiskOptions> risks)
    {
        _risk = risk;
        _time = time;
        ConfigFingerprint = Fingerprint(features.Value, inference.Value, risks.Value);
    }

    /// <summary>SHA-256 of the configuration that shapes decisions.</summary>
    public string ConfigFingerprint { get; }

    public DecisionRecords Assemble(DecisionRequest request, RowResult result, ModelSet models, double inferenceMs, long batchStartedAt)
    {
        var (proposed, confidence) = DecisionPolicy.Act(result.Probabilities);
        var price = request.Bar.Close;
        var portfolio = request.Symbol.Portfolio;
        var assessment = proposed == TradeAction.HOLD ? null : _risk.Assess(proposed, price, portfolio);
        var action = assessment is { Approved: false } ? TradeAction.HOLD : proposed;
        portfolio.Apply(action, price);

        var now = _time.GetTimestamp();
        var totalMs = _time.GetElapsedTime(request.ConsumedAt, now).TotalMilliseconds;
        var fingerprint = models.Fingerprint;
        var decision = new TradingDecision
        {
            decision_id = DecisionIds.For(request.Symbol.Symbol, request.Bar.EndMs, fingerprint).ToString(),
            symbol = request.Symbol.Symbol,
            bar_start = DateTimeOffset.FromUnixTimeMilliseconds(request.Bar.StartMs).UtcDateTime,
            bar_end = DateTimeOffset.FromUnixTimeMilliseconds(request.Bar.EndMs).UtcDateTime,
            action = action,
            proposed_action = proposed,
            confidence = confidence,
            recommended_quantity = action == TradeAction.HOLD ? 0 : DecisionPolicy.Quantity(action, confidence, request.Regime.Entropy),
            regime = new RegimeProbabilities { bull = request.Regime.Bull, bear = request.Regime.Bear, sideways = request.Regime.Sideways, entropy = request.Regime.Entropy },
            strategy_weights = new StrategyWeights { bull_specialist = request.Weights.Bull, bear_specialist = request.Weights.Bear, sideways_specialist = request.Weights.Sideways },
            selection = request.Strategy.ToString().ToLowerInvariant(),
            selected_model = result.DecidedBy,
            model_version = ModelVersion(fingerprint),
            risk = (assessment ?? Passed).ToContract(),
            produced_at = _time.GetUtcNow().UtcDateTime,
            latency_ms = totalMs,
        };
        var forensics = new DecisionForensics
        {
            decision = decision,
            feature_layout = Observation.Layout,
            features = [.. request.Features],
            model_outputs = [.. result.Outputs.Select(o => new ModelOutput
            {
                model = o.Model,
                version = models.Models[o.Model].Info.Version,
                sha256 = o.Sha256,
                probabilities = [.. o.Probabilities.Select(p => (double)p)],
                value = o.Value,
            })],
            input = request.Input,
            config_fingerprint = ConfigFingerprint,
            timings = new DecisionTimings
            {
                queue_ms = _time.GetElapsedTime(request.EnqueuedAt, batchStartedAt).TotalMilliseconds,
                inference_ms = inferenceMs,
                total_ms = totalMs,
            },
        };
        return new DecisionRecords(decision, forensics, request.TraceParent);
    }

    private static readonly RiskAssessment Passed = new(RiskCheckStatus.PASS, RiskCheckStatus.PASS, RiskCheckStatus.PASS, RiskCheckStatus.PASS, []);

    public static string ModelVersion(string fingerprint) =>
        "set-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(fingerprint)))[..12];

    private static string Fingerprint(FeatureOptions features, InferenceOptions inference, RiskOptions risk)
    {
        var text = string.Join('|',
            "layout=" + Observation.Layout,
            "bar_ms=" + (long)features.BarInterval.TotalMilliseconds,
            "late_ms=" + (long)features.LateTolerance.TotalMilliseconds,
            "capital=" + features.InitialCapital.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            "selection=" + inference.Selection,
            "base_quantity=" + DecisionPolicy.BaseQuantity,
            FormattableString.Invariant($"risk={risk.PositionLimit},{risk.ConcentrationLimit},{risk.DailyLossLimit},{risk.MaxLeverage},{risk.WarningThreshold}"),
            "sectors=" + string.Join(',', risk.Sectors.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key}:{s.Value}")));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }
}
