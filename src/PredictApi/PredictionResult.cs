using Inference.Streaming.Contracts.Rest;

namespace Inference.Streaming.PredictApi;

/// <summary>How a prediction ended; the endpoint turns it into the seed's status codes.</summary>
public enum PredictionOutcome
{
    Ok,
    NoState,
    TimestampOutsideState,
    UnknownStrategy,

    /// <summary><c>explain_method</c> names no method: 400.</summary>
    UnknownExplainMethod,

    /// <summary>The explanation asked for cannot be given (expected gradients without a background set): 422.</summary>
    ExplanationUnavailable,
    RiskRejected,
    ModelsNotReady,

    /// <summary>The instance has not read the fleet's state to its end yet: 503 with <c>Retry-After</c>.</summary>
    StateCatchingUp,
}

/// <summary>The result of <see cref="IPredictionService.PredictAsync"/>.</summary>
public sealed record PredictionResult(
    PredictionOutcome Outcome,
    PredictResponse? Response = null,
    string? Detail = null
)
{
    public static PredictionResult Fail(PredictionOutcome outcome, string detail) => new(outcome, null, detail);
}
