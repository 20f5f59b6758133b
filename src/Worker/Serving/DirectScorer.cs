using System.Threading.Channels;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Inference;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Serving;

/// <summary>
/// Scores REST requests in opportunistic batches: whatever requests are waiting when the engine
/// becomes free go through one forward together, and a request that finds the engine idle is
/// scored at once. Unlike the stream's batcher it never waits for a batch to fill, so it adds no
/// delay; under concurrency it turns N batch-1 forwards into one batch-N forward.
/// </summary>
public sealed class DirectScorer : BackgroundService
{
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(
        new UnboundedChannelOptions { SingleReader = true }
    );
    private readonly IModelCatalog _catalog;
    private readonly int _maxBatch;
    private readonly List<Pending> _batch;
    private readonly float[] _features;
    private readonly RowPlan[] _plans;

    public DirectScorer(IModelCatalog catalog, IOptions<InferenceOptions> inference)
    {
        _catalog = catalog;
        _maxBatch = inference.Value.MaxBatchSize;
        _batch = new List<Pending>(_maxBatch);
        _features = new float[_maxBatch * Observation.Width];
        _plans = new RowPlan[_maxBatch];
    }

    /// <summary>Scores one row; completes with the result and the fingerprint of the model set that scored
    /// it.</summary>
    /// <exception cref="ModelsNotReadyException">The host is stopping and takes no more requests.</exception>
    public Task<(RowResult Result, string Fingerprint)> ScoreAsync(float[] features, RowPlan plan)
    {
        var pending = new Pending(features, plan);
        return _queue.Writer.TryWrite(pending)
            ? pending.Completion.Task
            : throw new ModelsNotReadyException("The worker is stopping.");
    }

    /// <summary>Takes no more requests; the loop answers those already queued, then ends.</summary>
    public override Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        return base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            _batch.Clear();
            while (_batch.Count < _maxBatch && reader.TryRead(out var pending))
            {
                if (pending.Features.Length == Observation.Width)
                {
                    _batch.Add(pending);
                }
                else
                {
                    // Another layout's width cannot share the batch buffer; score it alone.
                    Score([pending], pending.Features, pending.Features.Length, [pending.Plan]);
                }
            }

            if (_batch.Count > 0)
            {
                for (var i = 0; i < _batch.Count; i++)
                {
                    _batch[i].Features.CopyTo(_features, i * Observation.Width);
                    _plans[i] = _batch[i].Plan;
                }

                Score(
                    _batch,
                    _features.AsSpan(0, _batch.Count * Observation.Width),
                    Observation.Width,
                    _plans.AsSpan(0, _batch.Count)
                );
            }
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
