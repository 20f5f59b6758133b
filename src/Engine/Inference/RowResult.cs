namespace Inference.Streaming.Engine.Inference;

/// <summary>
/// The final scores of one row and the outputs of every model that contributed; or, when no model
/// could decide the row, why (<see cref="Failure"/>), with empty probabilities.
/// </summary>
public sealed record RowResult(
    double[] Probabilities,
    double Value,
    string DecidedBy,
    IReadOnlyList<ModelRowOutput> Outputs
)
{
    /// <summary>Why the row could not be decided (a <see cref="DecisionFailure"/> code); null when it was.</summary>
    public string? Failure { get; init; }

    /// <summary>What went wrong, model by model, for logs and dead letters.</summary>
    public string? FailureDetail { get; init; }

    public bool Succeeded => Failure is null;

    public static RowResult Failed(string reason, string detail, IReadOnlyList<ModelRowOutput>? outputs = null) =>
        new([], double.NaN, "none", outputs ?? []) { Failure = reason, FailureDetail = detail };
}
