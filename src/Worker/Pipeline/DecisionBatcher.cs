using System.Threading.Channels;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Features;
using Inference.Streaming.Worker.Inference;
using Inference.Streaming.Worker.Publishing;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Pipeline;

/// <summary>
/// Micro-batches closed bars in the manner of Triton's dynamic batcher: a batch goes to the models
/// when it reaches <c>Inference:MaxBatchSize</c> or when its first bar has waited
/// <c>Inference:MaxBatchDelay</c>, whichever comes first. One forward per model per batch.
/// </summary>
public sealed class DecisionBatcher : BackgroundService
{
    private readonly Channel<DecisionRequest> _queue;
    private readonly IModelCatalog _catalog;
    private readonly DecisionAssembler _assembler;
    private readonly DecisionPublisher _publisher;
    private readonly PipelineMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<DecisionBatcher> _logger;
    private readonly int _maxBatch;
    private readonly TimeSpan _maxDelay;
    private readonly float[] _features;
    private readonly RowPlan[] _plans;
    private readonly List<DecisionRequest> _batch;

    public DecisionBatcher(IModelCatalog catalog, DecisionAssembler assembler, DecisionPublisher publisher, PipelineMetrics metrics, IOptions<InferenceOptions> options, TimeProvider time, ILogger<DecisionBatcher> logger)
    {
        (_catalog, _assembler, _publisher, _metrics, _time, _logger) = (catalog, assembler, publisher, metrics, time, logger);
        _maxBatch = options.Value.MaxBatchSize;
        _maxDelay = options.Value.MaxBatchDelay;
        _features = new float[_maxBatch * Observation.Width];
        _plans = new RowPlan[_maxBatch];
        _batch = new List<DecisionRequest>(_maxBatch);
        _queue = Channel.CreateBounded<DecisionRequest>(new BoundedChannelOptions(_maxBatch * 4)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>Queues a closed bar; blocks the caller while the queue is full (back-pressure on ingest).</summary>
    public Task<DecisionRecords> Enqueue(DecisionRequest request, CancellationToken cancellationToken)
    {
        request.EnqueuedAt = _time.GetTimestamp();
        if (!_queue.Writer.TryWrite(request))
        {
            _queue.Writer.WriteAsync(request, cancellationToken).AsTask().GetAwaiter().GetResult();
        }

        return request.Completion.Task;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken))
            {
                await FillAsync(reader, stoppingToken);
                Run();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Drain what is queued so no closed bar is dropped on the way out.
            while (reader.TryPeek(out _))
            {
                await FillAsync(reader, CancellationToken.None);
                Run();
            }
        }
    }

    private async Task FillAsync(ChannelReader<DecisionRequest> reader, CancellationToken cancellationToken)
    {
        _batch.Clear();
        var deadline = _time.GetTimestamp() + (long)(_maxDelay.TotalSeconds * _time.TimestampFrequency);
        while (_batch.Count < _maxBatch)
        {
            if (reader.TryRead(out var request))
            {
                _batch.Add(request);
                continue;
            }

            var remaining = _time.GetElapsedTime(_time.GetTimestamp(), deadline);
            if (_batch.Count > 0 && remaining <= TimeSpan.Zero)
            {
                break;
            }

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (_batch.Count > 0)
            {
                wait.CancelAfter(remaining);
            }

            try
            {
                if (!await reader.WaitToReadAsync(wait.Token))
                {
                    break;
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                break;
            }
        }
    }

    private void Run()
    {
        if (_batch.Count == 0)
        {
            return;
        }

        var count = _batch.Count;
        for (var i = 0; i < count; i++)
        {
            _batch[i].Features.CopyTo(_features, i * Observation.Width);
            _plans[i] = _batch[i].Plan;
        }

        var started = _time.GetTimestamp();
        try
        {
            using var lease = _catalog.Acquire();
            var results = InferenceEngine.Run(lease.Set, _features.AsSpan(0, count * Observation.Width), Observation.Width, _plans.AsSpan(0, count));
            var inferenceMs = _time.GetElapsedTime(started).TotalMilliseconds;
            _metrics.RecordBatch(count, inferenceMs);
            for (var i = 0; i < count; i++)
            {
                var request = _batch[i];
                try
                {
                    var records = _assembler.Assemble(request, results[i], lease.Set, inferenceMs, started);
                    _publisher.Publish(records, request);
                    request.Activity?.SetTag("inference.decision_id", records.Decision.decision_id).Stop();
                    request.Completion.SetResult(records);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    Fail(request, ex);
                }
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.BatchFailed(_logger, count, ex);
            foreach (var request in _batch)
            {
                if (!request.Completion.Task.IsCompleted)
                {
                    Fail(request, ex);
                }
            }
        }
    }

    private void Fail(DecisionRequest request, Exception ex)
    {
        Log.DecisionFailed(_logger, request.Symbol.Symbol, DateTimeOffset.FromUnixTimeMilliseconds(request.Bar.EndMs).UtcDateTime, ex);
        request.Source.Fail();
        request.Activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, ex.Message).Stop();
        request.Completion.TrySetException(ex);
    }
}
