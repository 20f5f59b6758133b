using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Worker.Experiments;
using Inference.Streaming.Worker.Publishing;

namespace Inference.Streaming.Worker.Decisions;

/// <summary>
/// The challenger's side of a shadow experiment: assembles and publishes its decision for a bar to
/// <c>trading-decisions.shadow</c>, and counts whether it agrees with the live one. A bar the challenger cannot
/// decide is logged and counted, never dead-lettered: nothing live depends on it, and its paper portfolio holds.
/// </summary>
public sealed class ShadowDecisions(
    DecisionAssembler assembler,
    IDecisionSink publisher,
    ExperimentArms arms,
    ILogger logger
)
{
    /// <summary>Decides row <paramref name="i"/> of <paramref name="scored"/> for <paramref name="request"/>'s
    /// challenger view; <paramref name="liveAction"/> is what the live arm decided (null when it could not).</summary>
    public void Decide(
        DecisionRequest request,
        ShadowRequest view,
        ScoredRows scored,
        int i,
        ModelSet? set,
        BatchStamp batch,
        TradeAction? liveAction
    )
    {
        string? failure = null;
        try
        {
            if (scored.FailureOf(i) is { } batchFailure)
            {
                failure = batchFailure.Reason;
            }
            else if (scored.Results[i] is { Succeeded: false } failed)
            {
                failure = failed.Failure;
            }
            else
            {
                var records = assembler.Assemble(
                    request,
                    scored.Results[i]!,
                    set!,
                    batch.InferenceMs,
                    batch.Started,
                    view,
                    arms.Mark(ModelRole.Challenger),
                    batch.Generation
                ) with
                {
                    Shadow = true,
                };
                if (
                    (FiniteCheck.FirstNonFinite(records.Decision) ?? FiniteCheck.FirstNonFinite(records.Forensics))
                    is null
                )
                {
                    var action = records.Decision.action;
                    publisher.Publish(records, request.Source);
                    arms.Decided(ExperimentArms.Challenger, action, shadow: true);
                    if (liveAction is { } live)
                    {
                        arms.Compared(live == action);
                    }

                    view.Completion.SetResult(action);
                    return;
                }

                failure = DecisionFailure.NonFiniteRecord;
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            failure = DecisionFailure.PublishError;
            DecisionsLog.BatchFailed(logger, 1, ex);
        }

        arms.ShadowFailed(failure ?? DecisionFailure.InferenceError);
        view.Completion.TrySetException(new DecisionFailedException(failure!, "the challenger could not decide"));
    }
}

/// <summary>One batch's forward: when it started (<see cref="TimeProvider.GetTimestamp"/>), how long it took, and
/// the control generation of the role assignment it ran under (stamped on its forensics records).</summary>
public readonly record struct BatchStamp(long Started, double InferenceMs, long Generation);
