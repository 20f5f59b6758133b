using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
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
/// <para>
/// Answers are remembered per observation (the features array a snapshot holds), plan and model set:
/// in float64 (<c>Inference:DeterministicFloat64</c>, the default) a row's output does not depend on
/// its batch, so asking again about the same bar with the same plan and models gives the same answer
/// bit for bit, and is answered without a forward. A reload changes the set's fingerprint, and so the
/// key. Entries live as long as the snapshot does.
/// </para>
/// </remarks>
public sealed class DirectScorer : IHostedService
{
    private readonly ConcurrentQueue<Pending> _queue = new();
    private readonly IModelCatalog _catalog;
    private readonly int _maxBatch;
    private readonly bool _remember;
    private readonly ServingMetrics _metrics;
    private readonly ConditionalWeakTable<float[], Answer[]> _answers = new();
    private int _leading;
    private volatile bool _stopping;

    public DirectScorer(IModelCatalog catalog, IOptions<InferenceOptions> inference, ServingMetrics metrics)
    {
        _catalog = catalog;
        _metrics = metrics;
        _maxBatch = inference.Value.MaxBatchSize;
        _remember = inference.Value.DeterministicFloat64;
    }

    /// <summary>Scores one row; completes with the result and the fingerprint of the model set that scored
    /// it.</summary>
    /// <exception cref="ModelsNotReadyException">The host is stopping and takes no more requests.</exception>
    public Task<(RowResult Result, string Fingerprint)> ScoreAsync(
        float[] features,
        RowPlan plan,
        ModelRole role = ModelRole.Champion
    )
    {
        if (_stopping)
        {
            throw new ModelsNotReadyException("The worker is stopping.");
        }

        if (_remember && Recall(features, plan, role) is { } known)
        {
            _metrics.Scored(fromMemory: true);
            return Task.FromResult(known);
        }

        var pending = new Pending(features, plan, role);
        _queue.Enqueue(pending);
        if (Interlocked.CompareExchange(ref _leading, 1, 0) == 0)
        {
            Lead(pending);
        }

        return pending.Completion.Task;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The answer already given for these features and plan by the model set serving now, if any.</summary>
    private (RowResult, string)? Recall(float[] features, RowPlan plan, ModelRole role)
    {
        if (!_answers.TryGetValue(features, out var answers))
        {
            return null;
        }

        string fingerprint;
        try
        {
            using var lease = Acquire(role);
            fingerprint = lease.Set.Fingerprint;
        }
        catch (ModelsNotReadyException)
        {
            return null;
        }

        foreach (var answer in answers)
        {
            if (answer.Plan == plan && answer.Fingerprint == fingerprint)
            {
                return (answer.Result, fingerprint);
            }
        }

        return null;
    }

    /// <summary>Keeps the last few answers for an observation (a plan per selection or model asked for).</summary>
    private void Remember(float[] features, RowPlan plan, RowResult result, string fingerprint)
    {
        const int PerObservation = 4;
        var answer = new Answer(plan, fingerprint, result);
        _answers.AddOrUpdate(
            features,
            _answers.TryGetValue(features, out var known)
                ? [answer, .. known.Where(a => a.Plan != plan || a.Fingerprint != fingerprint).Take(PerObservation - 1)]
                : [answer]
        );
    }

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
            if (pending.Features.Length == Observation.Width && pending.Role == ModelRole.Champion)
            {
                batch.Add(pending);
            }
            else
            {
                // Another layout's width cannot share the batch buffer, nor the challenger's models the champion's
                // forward (an explicit arm is rare): score it alone.
                Score([pending], pending.Features, pending.Features.Length, [pending.Plan], pending.Role);
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
        ReadOnlySpan<RowPlan> plans,
        ModelRole role = ModelRole.Champion
    )
    {
        try
        {
            using var lease = Acquire(role);
            var results = InferenceEngine.Run(lease.Set, features, width, plans);
            _metrics.Scored(fromMemory: false, batch.Count);
            var fingerprint = lease.Set.Fingerprint;
            for (var i = 0; i < batch.Count; i++)
            {
                if (_remember && results[i].Succeeded)
                {
                    Remember(batch[i].Features, batch[i].Plan, results[i], fingerprint);
                }

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

    private ModelLease Acquire(ModelRole role) =>
        role == ModelRole.Champion ? _catalog.Acquire()
        : _catalog is IChampionChallenger roles ? roles.AcquireChallenger()
        : throw new ModelsNotReadyException("No challenger is configured.");

    private sealed record Answer(RowPlan Plan, string Fingerprint, RowResult Result);

    private sealed record Pending(float[] Features, RowPlan Plan, ModelRole Role)
    {
        public TaskCompletionSource<(RowResult, string)> Completion { get; } =
            new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
