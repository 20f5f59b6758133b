using System.Security.Cryptography;
using System.Text;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Decisions;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Engine.Regimes;
using Inference.Streaming.Engine.Risk;
using Inference.Streaming.Worker.Publishing;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Decisions;

/// <summary>
/// Turns a row's model outputs into the records a bar publishes: the decision (through
/// <see cref="DecisionFunction"/>: action, confidence, quantity, risk; a failed check turns BUY/SELL
/// into HOLD, recorded in both records) and the forensics record with everything needed to re-run
/// it. It changes no state: the stream applies the published action to the portfolio on its
/// ingest thread.
/// </summary>
public sealed class DecisionAssembler
{
    private readonly DecisionFunction _decisions;
    private readonly TimeProvider _time;

    public DecisionAssembler(
        DecisionFunction decisions,
        TimeProvider time,
        IOptions<FeatureOptions> features,
        IOptions<InferenceOptions> inference,
        IOptions<RiskOptions> risks,
        IRegimeDetectorSource regimes
    )
    {
        _decisions = decisions;
        _time = time;
        _regimes = regimes;
        _configuration = Configuration(features.Value, inference.Value, risks.Value);
        _topicFingerprint = Hash(_configuration);
    }

    private readonly IRegimeDetectorSource _regimes;
    private readonly string _configuration;
    private readonly string _topicFingerprint;

    // The last detector's fingerprint; a reference, so the batcher and other readers swap it whole.
    private Tuple<RegimeDetectorInfo, string>? _detectorFingerprint;

    /// <summary>The detector the stream runs now; null when regimes come from <c>regime-updates</c>.</summary>
    public RegimeDetectorInfo? CurrentRegimeDetector => _regimes.Current;

    /// <summary>SHA-256 of the configuration that shapes decisions, with the regime detector the stream runs
    /// now (<c>Regimes:Source Detector</c>).</summary>
    public string ConfigFingerprint => FingerprintFor(_regimes.Current);

    /// <summary>
    /// SHA-256 of the configuration that shapes decisions with <paramref name="detector"/> computing the
    /// regimes (its name, version and parameters' SHA-256); null: regimes from <c>regime-updates</c>, whose
    /// fingerprint is the one the worker had before detectors existed.
    /// </summary>
    public string FingerprintFor(RegimeDetectorInfo? detector)
    {
        if (detector is null)
        {
            return _topicFingerprint;
        }

        if (Volatile.Read(ref _detectorFingerprint) is { } known && known.Item1 == detector)
        {
            return known.Item2;
        }

        var fingerprint = Hash(_configuration + "|regimes=detector:" + detector.Identity);
        Volatile.Write(ref _detectorFingerprint, Tuple.Create(detector, fingerprint));
        return fingerprint;
    }

    /// <summary>The records of one scored row: the live decision, or with <paramref name="shadow"/> the challenger's
    /// on its own portfolio and observation; <paramref name="experiment"/> marks the decision's arm.</summary>
    public DecisionRecords Assemble(
        DecisionRequest request,
        RowResult result,
        ModelSet models,
        double inferenceMs,
        long batchStartedAt,
        ShadowRequest? shadow = null,
        ExperimentArm? experiment = null,
        long controlGeneration = 0
    )
    {
        var context = new DecisionContext(
            request.Symbol.Symbol,
            request.Bar.StartMs,
            request.Bar.EndMs,
            request.Regime,
            request.Weights,
            request.Strategy,
            shadow?.Book ?? request.Book
        );
        var (decision, riskInputs) = Decide(
            context,
            result,
            models.Fingerprint,
            shadow?.Portfolio ?? request.Symbol.Portfolio,
            request.Bar.Close
        );
        decision.experiment = experiment;
        var now = _time.GetTimestamp();
        var totalMs = _time.GetElapsedTime(request.ConsumedAt, now).TotalMilliseconds;
        decision.produced_at = _time.GetUtcNow().UtcDateTime;
        decision.latency_ms = totalMs;
        var forensics = Forensics(
            decision,
            riskInputs,
            shadow?.Features ?? request.Features,
            result,
            models,
            request.Input,
            request.RegimeDetector,
            controlGeneration,
            new DecisionTimings
            {
                queue_ms = _time.GetElapsedTime(request.EnqueuedAt, batchStartedAt).TotalMilliseconds,
                inference_ms = inferenceMs,
                total_ms = totalMs,
            }
        );
        request.BookView?.WriteTo(riskInputs);
        return new DecisionRecords(decision, forensics, request.TraceParent);
    }

    /// <summary>The forensics record of a decision: everything needed to re-run it (the stream's and the
    /// backtest's).</summary>
    public DecisionForensics Forensics(
        TradingDecision decision,
        RiskInputs riskInputs,
        float[] features,
        RowResult result,
        ModelSet models,
        InputPosition input,
        RegimeDetectorInfo? detector,
        long controlGeneration,
        DecisionTimings timings
    ) =>
        new()
        {
            decision = decision,
            feature_layout = Observation.Layout,
            features = [.. features],
            model_outputs = ModelOutputs(result, models),
            input = input,
            config_fingerprint = FingerprintFor(detector),
            control_generation = controlGeneration,
            risk_inputs = riskInputs,
            regime_detector = detector is not null
                ? new RegimeDetector
                {
                    name = detector.Name,
                    version = detector.Version,
                    sha256 = detector.Sha256,
                }
                : null,
            timings = timings,
        };

    /// <summary>
    /// The decision record for one scored row: action, confidence, quantity and risk (a failed check
    /// turns BUY/SELL into HOLD). Live decisions and forensic replay both come through here; the
    /// portfolio is read, never changed. <c>produced_at</c> and <c>latency_ms</c> are left for the
    /// caller: they are wall-clock facts, not part of the decision.
    /// </summary>
    /// <returns>The decision, and the portfolio as the risk checks saw it.</returns>
    public (TradingDecision Decision, RiskInputs RiskInputs) Decide(
        DecisionContext context,
        RowResult result,
        string modelFingerprint,
        PaperPortfolio portfolio,
        double price
    )
    {
        var riskInputs = new RiskInputs
        {
            close = price,
            initial_capital = portfolio.InitialCapital,
            cash = portfolio.Cash,
            shares = portfolio.Shares,
            day_open_value = portfolio.DayOpenValue,
            sector = context.Book.Sector,
            sector_peer_position_value = context.Book.Sector is null ? null : context.Book.PeerPositionValue,
            book_peer_value = context.Book.Sector is null ? null : context.Book.PeerBookValue,
        };
        var decided = _decisions.Decide(result.Probabilities, context.Regime.Entropy, price, portfolio, context.Book);

        var decision = new TradingDecision
        {
            decision_id = DecisionIds.For(context.Symbol, context.BarEndMs, modelFingerprint).ToString(),
            symbol = context.Symbol,
            bar_start = DateTimeOffset.FromUnixTimeMilliseconds(context.BarStartMs).UtcDateTime,
            bar_end = DateTimeOffset.FromUnixTimeMilliseconds(context.BarEndMs).UtcDateTime,
            action = decided.Action,
            proposed_action = decided.Proposed,
            confidence = decided.Confidence,
            recommended_quantity = decided.Quantity,
            regime = new RegimeProbabilities
            {
                bull = context.Regime.Bull,
                bear = context.Regime.Bear,
                sideways = context.Regime.Sideways,
                entropy = context.Regime.Entropy,
            },
            strategy_weights = new StrategyWeights
            {
                bull_specialist = context.Weights.Bull,
                bear_specialist = context.Weights.Bear,
                sideways_specialist = context.Weights.Sideways,
            },
            selection = context.Strategy.ToString().ToLowerInvariant(),
            selected_model = result.DecidedBy,
            model_version = DecisionIds.ModelSet(modelFingerprint),
            risk = (decided.Assessment ?? Passed).ToContract(),
        };
        return (decision, riskInputs);
    }

    /// <summary>Every contributing model's raw output, as recorded in forensics.</summary>
    public static List<ModelOutput> ModelOutputs(RowResult result, ModelSet models) =>
        [
            .. result.Outputs.Select(o => new ModelOutput
            {
                model = o.Model,
                version = models.Models[o.Model].Info.Version,
                sha256 = o.Sha256,
                probabilities = [.. o.Probabilities.Select(p => (double)p)],
                value = o.Value,
            }),
        ];

    private static readonly RiskAssessment Passed = new(
        RiskCheckStatus.PASS,
        RiskCheckStatus.PASS,
        RiskCheckStatus.PASS,
        RiskCheckStatus.PASS,
        []
    );

    private static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static string Configuration(FeatureOptions features, InferenceOptions inference, RiskOptions risk) =>
        string.Join(
            '|',
            "layout=" + Observation.Layout,
            "bar_ms=" + (long)features.BarInterval.TotalMilliseconds,
            "late_ms=" + (long)features.LateTolerance.TotalMilliseconds,
            "capital=" + features.InitialCapital.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            "selection=" + inference.Selection,
            "compute=" + (inference.DeterministicFloat64 ? "float64" : "float32"),
            "base_quantity=" + DecisionPolicy.BaseQuantity,
            FormattableString.Invariant($"risk={risk.PositionLimit},{risk.ConcentrationLimit},{risk.DailyLossLimit},")
                + FormattableString.Invariant($"{risk.MaxLeverage},{risk.WarningThreshold}"),
            "sectors="
                + string.Join(
                    ',',
                    risk.Sectors.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Key}:{s.Value}")
                )
        );
}
