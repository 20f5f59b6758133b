using System.Threading.Channels;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Worker.Publishing;
using Inference.Streaming.Worker.State;

namespace Inference.Streaming.Worker.Decisions;

/// <summary>
/// The decision stage's inbox and its batching, in the manner of Triton's dynamic batcher: a batch goes when it
/// holds <c>Inference:MaxBatchSize</c> bars or when its first bar has waited <c>Inference:MaxBatchDelay</c>. Bars a
/// <see cref="BookGate"/> holds back wait outside the batch; while any wait, the queue looks again every few
/// milliseconds.
/// </summary>
public sealed class DecisionInbox(int maxBatch, TimeSpan maxDelay, BookGate gate, TimeProvider time)
{
    private static readonly TimeSpan RecheckInterval = TimeSpan.FromMilliseconds(5);

    private readonly Channel<StageItem> _queue = Channel.CreateBounded<StageItem>(
        new BoundedChannelOptions(maxBatch * 4) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait }
    );

    public BookGate Gate => gate;

    /// <summary>Queues a closed bar; blocks the caller while the queue is full (back-pressure on ingest).</summary>
    public Task<TradeAction> Enqueue(DecisionRequest request, CancellationToken cancellationToken)
    {
        request.EnqueuedAt = time.GetTimestamp();
        Write(new StageItem(request, null), cancellationToken);
        return request.Completion.Task;
    }

    public void Progress(
        PartitionState partition,
        long throughMs,
        IOutputTracker source,
        CancellationToken cancellationToken
    ) => Write(new StageItem(null, new BookProgress(partition, throughMs, source)), cancellationToken);

    /// <summary>True while anything is queued or waiting; false once the queue is empty and nothing waits.</summary>
    public bool HasWork => _queue.Reader.TryPeek(out _);

    /// <summary>Waits until there is something to batch: a queued item, or (while bars wait for the book) the next
    /// look at them.</summary>
    public async Task<bool> WaitAsync(CancellationToken cancellationToken)
    {
        if (gate.Waiting == 0)
        {
            return await _queue.Reader.WaitToReadAsync(cancellationToken);
        }

        using var recheck = new CancellationTokenSource(RecheckInterval, time);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, recheck.Token);
        try
        {
            await _queue.Reader.WaitToReadAsync(wait.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested) { }

        return true;
    }

    /// <summary>Fills <paramref name="batch"/>: first with what the gate lets go, then from the queue.</summary>
    public async Task FillAsync(List<DecisionRequest> batch, CancellationToken cancellationToken)
    {
        batch.Clear();
        gate.StartBatch();
        gate.Release(batch, maxBatch);
        var reader = _queue.Reader;
        var deadline = time.GetTimestamp() + (long)(maxDelay.TotalSeconds * time.TimestampFrequency);
        while (batch.Count < maxBatch)
        {
            if (reader.TryRead(out var item))
            {
                gate.Admit(item, batch);
                continue;
            }

            // A progress report is content like a bar: it goes with the batch, and its record's checkpoint waits for
            // it, so it may not wait for the next bar (the ingest thread, draining for that checkpoint, sends none).
            var content = batch.Count > 0 || gate.HasProgress;
            var remaining = time.GetElapsedTime(time.GetTimestamp(), deadline);
            if ((content || gate.Waiting > 0) && remaining <= TimeSpan.Zero)
            {
                break;
            }

            // The delay runs on the injected clock, so a test's fake clock decides when a partial batch goes; while
            // bars wait for the book, an empty batch goes back to look at them.
            var bound =
                content ? remaining
                : gate.Waiting > 0 ? RecheckInterval
                : (TimeSpan?)null;
            using var delay = bound is { } after ? new CancellationTokenSource(after, time) : null;
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(
                cancellationToken,
                delay?.Token ?? CancellationToken.None
            );

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

    private void Write(StageItem item, CancellationToken cancellationToken)
    {
        if (!_queue.Writer.TryWrite(item))
        {
            _queue.Writer.WriteAsync(item, cancellationToken).AsTask().GetAwaiter().GetResult();
        }
    }
}
