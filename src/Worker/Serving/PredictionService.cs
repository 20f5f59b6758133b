using System.Globalization;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Contracts.Rest;
using Inference.Streaming.Engine.Decisions;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Engine.Risk;
using Inference.Streaming.PredictApi;
using Inference.Streaming.Worker.Experiments;
using Inference.Streaming.Worker.State;

namespace Inference.Streaming.Worker.Serving;

/// <summary>
/// The synchronous REST path: scores a symbol's latest (or named) closed-bar observation with the
/// same engine, weights, selection, quantity and risk rules as the stream, directly, without the
/// stream's batch delay. It changes no state: the paper portfolio is the stream's.
/// </summary>
public sealed class PredictionService(
    SymbolDirectory directory,
    IModelCatalog catalog,
    DecisionFunction decisions,
    DirectScorer scorer,
    TimeProvider time,
    ExperimentArms arms,
    Fleet.ObservationReplica replica
) : IPredictionService
{
    /// <summary><c>metadata.selection</c> when <c>strategy_override</c> named a model.</summary>
    public const string OverrideSelection = "override";

    public async Task<PredictionResult> PredictAsync(
        string symbol,
        PredictRequest request,
        CancellationToken cancellationToken
    )
    {
        var started = time.GetTimestamp();
        var streamStrategy = decisions.StrategyFor(symbol);
        var strategy = streamStrategy;
        var model = request.StrategyOverride is { } asked
            ? ModelNames.All.FirstOrDefault(n => n.Equals(asked, StringComparison.OrdinalIgnoreCase))
            : null;
        if (
            request.StrategyOverride is { } name
            && model is null
            && !DecisionPolicy.TryParseStrategy(name, out strategy)
        )
        {
            return PredictionResult.Fail(
                PredictionOutcome.UnknownStrategy,
                FormattableString.Invariant(
                    $"Unknown strategy_override '{name}'; use a model name ({string.Join(", ", ModelNames.All)}), "
                ) + "'argmax' or 'mixture'."
            );
        }

        if (
            request.ExplainMethod is { } method
            && method is not IntegratedGradients.Method and not IntegratedGradients.ExpectedMethod
        )
        {
            return PredictionResult.Fail(
                PredictionOutcome.UnknownExplainMethod,
                $"Unknown explain_method '{method}'; use '{IntegratedGradients.Method}' or "
                    + $"'{IntegratedGradients.ExpectedMethod}'."
            );
        }

        if (!catalog.IsLoaded)
        {
            return PredictionResult.Fail(PredictionOutcome.ModelsNotReady, "Models are still loading.");
        }

        if (model is not null && !IsLoaded(model))
        {
            return NotLoaded(model);
        }

        var snapshot = directory.Find(symbol, request.Timestamp, out var known);
        if (!known)
        {
            // Until the read model has caught up, "not held" may only mean "not read yet".
            return replica is { IsCaughtUp: false }
                ? PredictionResult.Fail(
                    PredictionOutcome.StateCatchingUp,
                    "This instance is still reading the fleet's observations (symbol-observations); retry shortly."
                )
                : PredictionResult.Fail(
                    PredictionOutcome.NoState,
                    $"No instance of the fleet holds a closed bar for '{symbol}' (no tick has closed a bar for it yet, "
                        + "or it was evicted as idle)."
                );
        }

        if (snapshot is null)
        {
            var (from, to) = directory.Span(symbol)!.Value;
            return PredictionResult.Fail(
                PredictionOutcome.TimestampOutsideState,
                FormattableString.Invariant(
                    $"timestamp must fall inside the bars held for {symbol}: {from:O} to {to:O}."
                )
            );
        }

        try
        {
            var route = decisions.Route(symbol, snapshot.Regime, strategy);
            var plan = model is null ? route.Plan : RowPlan.ForModel(model);
            // An explicit arm (the endpoint checked the caller may ask), else the symbol's arm in an A/B experiment.
            var role = request.Arm is { } arm
                ? (arm == ExperimentArms.Challenger ? ModelRole.Challenger : ModelRole.Champion)
                : arms.LiveArm(symbol);
            var (result, fingerprint) = await scorer.ScoreAsync(snapshot.Features, plan, role);
            if (!result.Succeeded)
            {
                return PredictionResult.Fail(
                    PredictionOutcome.ModelsNotReady,
                    $"No loaded model could decide {symbol}: {result.Failure}: {result.FailureDetail}"
                );
            }

            if (model is not null && result.DecidedBy != model)
            {
                // A reload took the model away between the check and the forward: never another model's answer.
                return NotLoaded(model);
            }

            // The answer is the models' proposal; the risk checks are reported beside it, as the seed's were.
            var decided = decisions.Decide(
                result.Probabilities,
                snapshot.Regime.Entropy,
                snapshot.Bar.Close,
                snapshot.Portfolio(),
                snapshot.Book
            );
            var (action, confidence) = (decided.Proposed, decided.Confidence);
            var assessment = request.RiskCheck ? decided.Assessment : null;
            var identity =
                model is not null ? fingerprint + "|model=" + model
                : strategy == streamStrategy ? fingerprint
                : fingerprint + "|selection=" + strategy;
            ExplanationDto? explanation = null;
            if (request.Explain || request.ExplainMethod is not null)
            {
                try
                {
                    explanation = Explain(snapshot, plan, result.DecidedBy, action, request.ExplainMethod);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // No background set, or a model without gradients (a TorchScript module may have none).
                    return PredictionResult.Fail(
                        PredictionOutcome.ExplanationUnavailable,
                        "Cannot explain: " + ex.Message.Split('\n', 2)[0].TrimEnd()
                    );
                }
            }

            var response = new PredictResponse(
                DecisionIds.For(symbol, snapshot.Bar.EndMs, identity).ToString(),
                symbol,
                action.ToString(),
                confidence,
                decided.ProposedQuantity,
                new RegimeProbabilitiesDto(
                    snapshot.Regime.Bull,
                    snapshot.Regime.Bear,
                    snapshot.Regime.Sideways,
                    snapshot.Regime.Entropy
                ),
                new StrategyWeightsDto(route.Weights.Bull, route.Weights.Bear, route.Weights.Sideways),
                Validation(assessment),
                new PredictMetadata(result.DecidedBy, time.GetElapsedTime(started).TotalMilliseconds, time.GetUtcNow())
                {
                    ModelSet = DecisionIds.ModelSet(fingerprint),
                    SelectedModel = result.DecidedBy,
                    Selection = model is null ? strategy.ToString().ToLowerInvariant() : OverrideSelection,
                    BarEnd = DateTimeOffset.FromUnixTimeMilliseconds(snapshot.Bar.EndMs),
                    ServedBy = snapshot.Instance,
                    AbTest = arms.Id is { } experiment ? new AbTestDto(experiment, ExperimentArms.Name(role)) : null,
                }
            )
            {
                Explanation = explanation,
            };

            return assessment is { Approved: false }
                ? new PredictionResult(
                    PredictionOutcome.RiskRejected,
                    response,
                    $"{action} for {symbol} fails risk checks: "
                        + string.Join(
                            "; ",
                            assessment.Warnings.Where(w => w.Contains("limit", StringComparison.Ordinal))
                        )
                )
                : new PredictionResult(PredictionOutcome.Ok, response);
        }
        catch (ModelsNotReadyException ex)
        {
            return PredictionResult.Fail(PredictionOutcome.ModelsNotReady, ex.Message);
        }
    }

    private bool IsLoaded(string model)
    {
        try
        {
            using var lease = catalog.Acquire();
            return lease.Set.Models.ContainsKey(model);
        }
        catch (ModelsNotReadyException)
        {
            return false;
        }
    }

    private static PredictionResult NotLoaded(string model) =>
        PredictionResult.Fail(
            PredictionOutcome.UnknownStrategy,
            $"strategy_override '{model}' names a model that is not loaded (GET /api/v1/models lists those that are)."
        );

    private static RiskValidationDto Validation(RiskAssessment? assessment)
    {
        static string Status(RiskCheckStatus status) => status.ToString().ToLowerInvariant();
        return assessment is null
            ? new RiskValidationDto(true, [], new RiskChecksDto("pass", "pass", "pass") { Leverage = "pass" })
            : new RiskValidationDto(
                assessment.Approved,
                assessment.Warnings,
                new RiskChecksDto(
                    Status(assessment.PositionLimit),
                    Status(assessment.Concentration),
                    Status(assessment.DailyLossLimit)
                )
                {
                    Leverage = Status(assessment.Leverage),
                }
            );
    }

    private ExplanationDto Explain(
        ObservationSnapshot snapshot,
        RowPlan plan,
        string decidedBy,
        TradeAction action,
        string? method
    )
    {
        using var lease = catalog.Acquire();
        var expected = method == IntegratedGradients.ExpectedMethod;
        var result = expected
            ? IntegratedGradients.ExplainExpected(lease.Set, snapshot.Features, plan, decidedBy, (int)action)
            : IntegratedGradients.Explain(lease.Set, snapshot.Features, plan, decidedBy, (int)action);
        var names = Observation.FeatureNames;
        return new ExplanationDto(
            expected ? IntegratedGradients.ExpectedMethod : IntegratedGradients.Method,
            expected ? BackgroundOf(lease.Set.Background!, result.Baselines) : IntegratedGradients.Baseline,
            result.Steps,
            string.Create(CultureInfo.InvariantCulture, $"probability of {action}"),
            [.. result.Attributions.Select((a, i) => new FeatureAttributionDto(names[i], snapshot.Features[i], a))],
            result.CompletenessGap
        )
        {
            Output = result.Output,
            BaselineOutput = result.BaselineOutput,
            Baselines = expected ? result.Baselines : null,
        };
    }

    private static string BackgroundOf(BackgroundSet background, int drawn) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"background: {drawn} of the {background.Count} rows of {BackgroundSet.FileName} "
                + $"(SHA-256 {background.Sha256[..12]}): {background.Source}"
        );
}
