using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Inference;

namespace Inference.Streaming.Worker.Decisions;

/// <summary>The rows of one model set in a batch, scored: <c>Results[i]</c> for row i, or the batch-wide failure
/// that kept it from being scored.</summary>
public sealed class ScoredRows(int count)
{
    public RowResult?[] Results { get; } = new RowResult?[count];

    public Exception?[] Failures { get; } = new Exception?[count];

    /// <summary>Why row <paramref name="i"/> has no result (<see cref="DecisionFailure"/>), with a detail; null when
    /// it has one (which may itself have failed).</summary>
    public (string Reason, string Detail)? FailureOf(int i) =>
        Failures[i] is { } failure
            ? (
                failure is ModelsNotReadyException ? DecisionFailure.NoModel : DecisionFailure.InferenceError,
                $"{failure.GetType().Name}: {failure.Message}"
            )
            : null;
}

/// <summary>
/// Scores the rows of a batch that one model set decides, with one forward per model over buffers of its own
/// (<c>Inference:MaxBatchSize</c> rows), so two sets can score on two threads at once.
/// </summary>
public sealed class BatchScorer(int maxBatch, ILogger logger)
{
    private readonly float[] _features = new float[maxBatch * Observation.Width];
    private readonly RowPlan[] _plans = new RowPlan[maxBatch];

    /// <summary>Scores the rows of <paramref name="batch"/> for which <paramref name="features"/> gives a feature
    /// row into <paramref name="scored"/>; a failure of the whole forward is recorded for each of them.</summary>
    public void Score(
        ModelSet? set,
        IReadOnlyList<DecisionRequest> batch,
        ScoredRows scored,
        Func<DecisionRequest, float[]?> features
    )
    {
        var rows = new List<int>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            if (features(batch[i]) is { } row)
            {
                row.CopyTo(_features, rows.Count * Observation.Width);
                _plans[rows.Count] = batch[i].Plan;
                rows.Add(i);
            }
        }

        if (rows.Count == 0)
        {
            return;
        }

        try
        {
            var results = set is null
                ? throw new ModelsNotReadyException("No model set is loaded.")
                : InferenceEngine.Run(
                    set,
                    _features.AsSpan(0, rows.Count * Observation.Width),
                    Observation.Width,
                    _plans.AsSpan(0, rows.Count)
                );
            for (var r = 0; r < rows.Count; r++)
            {
                scored.Results[rows[r]] = results[r];
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            DecisionsLog.BatchFailed(logger, rows.Count, ex);
            foreach (var row in rows)
            {
                scored.Failures[row] = ex;
            }
        }
    }
}
