using System.Buffers;
using System.Collections.Concurrent;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Inference;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Serving;

/// <summary>
/// Scores REST requests in opportunistic batches: whatever requests are waiting when the engine
/// becomes free go through one forward together. Unlike the stream's batcher it never waits for a
/// batch to fill, so it adds no delay; under concurrency it turns N batch-1 forwards into one batch-N
/// forward.
/// </summary>
/// <remarks>
/// There is no scoring thread to hand requests to: a request that finds the engine idle scores on its
/// own thread (with whatever queued behind it), and answers itself without a thread switch; requests
/// that arrive meanwhile queue and are answered by that batch's leader. A leader whose own request is
/// answered hands any queue left to a thread-pool thread, which leads until the queue is empty, so no
/// caller waits for others' batches.
/// </remarks>
public sealed class DirectScorer : IHostedService
{
    private readonly ConcurrentQueue<Pending> _queue = new();
    private readonly IModelCatalog _catalog;
    private readonly int _maxBatch;
    private int _leading;
    private volatile bool _stopping;

    public DirectScorer(IModelCatalog catalog, IOptions<InferenceOptions> inference)
    {
        _catalog = catalog;
        _maxBatch = inference.Value.MaxBatchSize;
    }

    /// <summary>Scores one row; completes with the result and the fingerprint of the model set that scored
    /// it.</summary>
    /// <exception cref="ModelsNotReadyException">The host is stopping and takes no more requests.</exception>
    public Task<(RowResult Result, string Fingerprint)> ScoreAsync(float[] features, RowPlan plan)
    {
        if (_stopping)
        {
            throw new ModelsNotReadyException("The worker is stopping.");
        }

        var pending = new Pending(features, plan);
        _queue.Enqueue(pending);
        if (Interlocked.CompareExchange(ref _leading, 1, 0) == 0)
        {
            Lead(pending);
        }

        return pending.Completion.Task;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Takes no more requests; those already queued are answered by the batch in flight.</summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        return Task.CompletedTask;
    }

    /// <summary>Scores batches until the queue is empty, or, for a caller, until its own request is
    /// answered.</summary>
    private void Lead(Pending? own)
    {
        var batch = new List<Pending>(Math.Min(_maxBatch, 64));
        while (true)
        {
            ScoreNextBatch(batch);
            if (_queue.IsEmpty)
            {
                Volatile.Write(ref _leading, 0);
                // A request queued after the check above found no leader; lead again unless it did.
                if (_queue.IsEmpty || Interlocked.CompareExchange(ref _leading, 1, 0) != 0)
                {
                    return;
                }
            }
            else if (own is { Completion.Task.IsCompleted: true })
            {
                ThreadPool.UnsafeQueueUserWorkItem(static scorer => scorer.Lead(null), this, preferLocal: false);
                return;
            }
        }
    }

    private void ScoreNextBatch(List<Pending> batch)
    {
        batch.Clear();
        while (batch.Count < _maxBatch && _queue.TryDequeue(out var pending))
        {
            if (pending.Features.Length == Observation.Width)
            {
                batch.Add(pending);
            }
            else
            {
                // Another layout's width cannot share the batch buffer; score it alone.
                Score([pending], pending.Features, pending.Features.Length, [pending.Plan]);
            }
        }

        if (batch.Count == 0)
        {
            return;
        }

        var features = ArrayPool<float>.Shared.Rent(batch.Count * Observation.Width);
        var plans = ArrayPool<RowPlan>.Shared.Rent(batch.Count);
        try
        {
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Features.CopyTo(features, i * Observation.Width);
                plans[i] = batch[i].Plan;
            }

            Score(
                batch,
                features.AsSpan(0, batch.Count * Observation.Width),
                Observation.Width,
                plans.AsSpan(0, batch.Count)
            );
        }
        finally
        {
            ArrayPool<float>.Shared.Return(features);
            ArrayPool<RowPlan>.Shared.Return(plans, clearArray: true);
        }
    }

    private void Score(
        IReadOnlyList<Pending> batch,
        ReadOnlySpan<float> features,
        int width,
        ReadOnlySpan<RowPlan> plans
    )
    {
        try
        {
            using var lease = _catalog.Acquire();
            var results = InferenceEngine.Run(lease.Set, features, width, plans);
            var fingerprint = lease.Set.Fingerprint;
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Completion.TrySetResult((results[i], fingerprint));
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            foreach (var pending in batch)
            {
                pending.Completion.TrySetException(ex);
            }
        }
    }

    private sealed record Pending(float[] Features, RowPlan Plan)
    {
        public TaskCompletionSource<(RowResult, string)> Completion { get; } =
            new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
