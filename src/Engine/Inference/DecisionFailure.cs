namespace Inference.Streaming.Engine.Inference;

/// <summary>
/// Why a closed bar got no decision: the <c>reason</c> label of
/// <c>inference_decision_failures_total</c> and the <c>dlq.failure</c> header of its dead letter.
/// </summary>
public static class DecisionFailure
{
    /// <summary>No loaded model can score the row (the planned one and <c>universal</c> are both missing or
    /// failed).</summary>
    public const string NoModel = "no-model";

    /// <summary>Every model that could decide returned a NaN or infinite output.</summary>
    public const string NonFiniteOutput = "non-finite-output";

    /// <summary>The forward pass threw.</summary>
    public const string InferenceError = "inference-error";

    /// <summary>The assembled decision or forensics record held a non-finite number.</summary>
    public const string NonFiniteRecord = "non-finite-record";

    /// <summary>Assembling, encoding or handing the records to the producer threw.</summary>
    public const string PublishError = "publish-error";
}
