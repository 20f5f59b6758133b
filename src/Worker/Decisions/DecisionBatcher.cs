using System.Threading.Channels;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Diagnostics;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Experiments;
using Inference.Streaming.Worker.Publishing;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Decisions;

/// <summary>
/// Micro-batches closed bars in the manner of Triton's dynamic batcher: a batch goes to the models
/// when it reaches <c>Inference:MaxBatchSize</c> or when its first bar has waited
/// <c>Inference:MaxBatchDelay</c>, whichever comes first. One forward per model per batch.
/// </summary>
public sealed class DecisionBatcher : BackgroundService, IDecisionIntake
{
    private readonly Channel<DecisionRequest> _queue;
    private readonly IModelCatalog _catalog;
    private readonly DecisionAssembler _assembler;
    private readonly IDecisionSink _publisher;
    private readonly IDeadLetterSink _deadLetters;
    private readonly PipelineMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<DecisionBatcher> _logger;
    private readonly int _maxBatch;
    private readonly TimeSpan _maxDelay;
    private readonly float[] _features;
    private readonly RowPlan[] _plans;
    private readonly float[] _shadowFeatures;
    private readonly RowPlan[] _shadowPlans;
    private readonly List<DecisionRequest> _batch;
    private readonly ExperimentArms _arms;

    public DecisionBatcher(
        IModelCatalog catalog,
        DecisionAssembler assembler,
        IDecisionSink publisher,
        IDeadLetterSink deadLetters,
        PipelineMetrics metrics,
        IOptions<InferenceOptions> options,
        TimeProvider time,
        ILogger<DecisionBatcher> logger,
        ExperimentArms arms
    )
    {
        _arms = arms;
        (_catalog, _assembler, _publisher, _deadLetters, _metrics, _time, _logger) = (
            catalog,
            assembler,
            publisher,
            deadLetters,
            metrics,
            time,
            logger
        );
        _maxBatch = options.Value.MaxBatchSize;
        _maxDelay = options.Value.MaxBatchDelay;
        _features = new float[_maxBatch * Observation.Width];
        _plans = new RowPlan[_maxBatch];
        _shadowFeatures = new float[_maxBatch * Observation.Width];
        _shadowPlans = new RowPlan[_maxBatch];
        _batch = new List<DecisionRequest>(_maxBatch);
        _queue = Channel.CreateBounded<DecisionRequest>(
            new BoundedChannelOptions(_maxBatch * 4) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait }
        );
    }

    public void WaitUntilReady(CancellationToken cancellationToken)
    {
        if (_catalog.IsLoaded)
        {
            return;
        }

        Log.WaitingForModels(_logger);
        while (!_catalog.IsLoaded)
        {
            cancellationToken.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(100));
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Queues a closed bar; blocks the caller while the queue is full (back-pressure on ingest).</summary>
    public Task<TradeAction> Enqueue(DecisionRequest request, CancellationToken cancellationToken)
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

            // The delay runs on the injected clock, so a test's fake clock decides when a partial batch goes.
            using var delay = _batch.Count > 0 ? new CancellationTokenSource(remaining, _time) : null;
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

    private void Run()
    {
        if (_batch.Count == 0)
        {
            return;
        }

        var count = _batch.Count;
        var started = _time.GetTimestamp();
        var (champion, challenger) = TryAcquire();
        try
        {
            // A shadow experiment's challenger scores its rows on another thread, with buffers of its own, while
            // the champion scores the live rows here: each forward runs on one core (Inference:CpuThreads), so the
            // batch waits for the slower of the two rather than their sum.
            var shadow = new Scored(count);
            var shadowRun = _batch.Any(r => r.Shadow is not null)
                ? Task.Run(() =>
                    Score(challenger?.Set, shadow, i => _batch[i].Shadow?.Features, _shadowFeatures, _shadowPlans)
                )
                : Task.CompletedTask;
            // The champion's rows in the order and shape they would have without an experiment, so its forward (and
            // so its decisions) are the same with a shadow experiment on or off.
            var live = new Scored(count);
            Score(
                champion?.Set,
                live,
                i => _batch[i].Arm == ModelRole.Champion ? _batch[i].Features : null,
                _features,
                _plans
            );
            Score(
                challenger?.Set,
                live,
                i => _batch[i].Arm == ModelRole.Challenger ? _batch[i].Features : null,
                _features,
                _plans
            );
            shadowRun.GetAwaiter().GetResult();

            var forwardDone = _time.GetTimestamp();
            var inferenceMs = _time.GetElapsedTime(started, forwardDone).TotalMilliseconds;
            _metrics.RecordBatch(count, inferenceMs);
            for (var i = 0; i < count; i++)
            {
                var request = _batch[i];
                (request.BatchStartedAt, request.ForwardDoneAt) = (started, forwardDone);
                var set = (request.Arm == ModelRole.Challenger ? challenger : champion)?.Set;
                try
                {
                    var action = Decide(request, live, i, set, inferenceMs, started);
                    if (request.Shadow is { } view)
                    {
                        DecideShadow(request, view, shadow, i, challenger?.Set, inferenceMs, started, action);
                    }
                }
                finally
                {
                    request.Resolve();
                }
            }
        }
        finally
        {
            champion?.Dispose();
            challenger?.Dispose();
        }
    }

    /// <summary>The rows of one model set, scored by one forward per model: <c>Results[i]</c> for the rows
    /// <c>features(i)</c> gave, or the batch-wide failure.</summary>
    private sealed class Scored(int count)
    {
        public RowResult?[] Results { get; } = new RowResult?[count];

        public Exception?[] Failures { get; } = new Exception?[count];
    }

    private void Score(ModelSet? set, Scored scored, Func<int, float[]?> features, float[] buffer, RowPlan[] plans)
    {
        var rows = new List<int>(_batch.Count);
        for (var i = 0; i < _batch.Count; i++)
        {
            if (features(i) is { } row)
            {
                row.CopyTo(buffer, rows.Count * Observation.Width);
                plans[rows.Count] = _batch[i].Plan;
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
                    buffer.AsSpan(0, rows.Count * Observation.Width),
                    Observation.Width,
                    plans.AsSpan(0, rows.Count)
                );
            for (var r = 0; r < rows.Count; r++)
            {
                scored.Results[rows[r]] = results[r];
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.BatchFailed(_logger, rows.Count, ex);
            foreach (var row in rows)
            {
                scored.Failures[row] = ex;
            }
        }
    }

    /// <summary>Assembles and publishes the live decision of row <paramref name="i"/>; its action, or null when it
    /// failed (dead-lettered).</summary>
    private TradeAction? Decide(
        DecisionRequest request,
        Scored live,
        int i,
        ModelSet? set,
        double inferenceMs,
        long started
    )
    {
        if (live.Failures[i] is { } batchFailure)
        {
            var reason =
                batchFailure is ModelsNotReadyException ? DecisionFailure.NoModel : DecisionFailure.InferenceError;
            Fail(request, reason, $"{batchFailure.GetType().Name}: {batchFailure.Message}");
            return null;
        }

        var result = live.Results[i]!;
        if (!result.Succeeded)
        {
            Fail(request, result.Failure!, result.FailureDetail ?? result.Failure!);
            return null;
        }

        try
        {
            var records = _assembler.Assemble(
                request,
                result,
                set!,
                inferenceMs,
                started,
                experiment: _arms.Mark(request.Arm),
                controlGeneration: _generation
            );
            if (
                (FiniteCheck.FirstNonFinite(records.Decision) ?? FiniteCheck.FirstNonFinite(records.Forensics)) is
                { } field
            )
            {
                Fail(
                    request,
                    DecisionFailure.NonFiniteRecord,
                    $"the decision's '{field}' is not finite; nothing was published"
                );
                return null;
            }

            request.PublishedAt = _time.GetTimestamp();
            var action = records.Decision.action;
            _publisher.Publish(records, request.Source, delivery => Delivered(request, action, delivery));
            _arms.Decided(ExperimentArms.Name(request.Arm), action);

            // The publish span ends when the broker answers (Delivered).
            request.Activity?.SetTag("inference.decision_id", records.Decision.decision_id);
            request.Completion.SetResult(action);
            return action;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Fail(request, DecisionFailure.PublishError, $"{ex.GetType().Name}: {ex.Message}");
            return null;
        }
    }

    /// <summary>
    /// Assembles and publishes the challenger's decision for a shadow experiment to
    /// <c>trading-decisions.shadow</c>, and counts whether it agrees with the live one. A bar the challenger
    /// cannot decide is logged and counted, never dead-lettered: nothing live depends on it, and its paper
    /// portfolio holds.
    /// </summary>
    private void DecideShadow(
        DecisionRequest request,
        ShadowRequest view,
        Scored shadow,
        int i,
        ModelSet? set,
        double inferenceMs,
        long started,
        TradeAction? liveAction
    )
    {
        string? failure = null;
        try
        {
            if (shadow.Failures[i] is { } batchFailure)
            {
                failure =
                    batchFailure is ModelsNotReadyException ? DecisionFailure.NoModel : DecisionFailure.InferenceError;
            }
            else if (shadow.Results[i] is { Succeeded: false } failed)
            {
                failure = failed.Failure;
            }
            else
            {
                var records = _assembler.Assemble(
                    request,
                    shadow.Results[i]!,
                    set!,
                    inferenceMs,
                    started,
                    view,
                    _arms.Mark(ModelRole.Challenger),
                    _generation
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
                    _publisher.Publish(records, request.Source);
                    _arms.Decided(ExperimentArms.Challenger, action, shadow: true);
                    if (liveAction is { } live)
                    {
                        _arms.Compared(live == action);
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
            Log.BatchFailed(_logger, 1, ex);
        }

        _arms.ShadowFailed(failure ?? DecisionFailure.InferenceError);
        view.Completion.TrySetException(new DecisionFailedException(failure!, "the challenger could not decide"));
    }

    /// <summary>The broker answered for the decision: its spans end, and an acknowledgement is measured.</summary>
    private void Delivered(DecisionRequest request, TradeAction action, DecisionDelivery delivery)
    {
        InferenceTelemetry.Delivered(request.Activity, delivery.Position, delivery.Error);
        if (delivery.Acknowledged)
        {
            Acknowledged(request, action, delivery.At);
        }
    }

    /// <summary>The decision was acknowledged at <paramref name="acknowledged"/>: tick-to-decision latency and its
    /// stages.</summary>
    private void Acknowledged(DecisionRequest request, TradeAction action, long acknowledged)
    {
        _metrics.DecisionAcknowledged(action, _time.GetElapsedTime(request.ConsumedAt, acknowledged).TotalMilliseconds);
        _metrics.RecordStages(
            _time.GetElapsedTime(request.ConsumedAt, request.EnqueuedAt),
            _time.GetElapsedTime(request.EnqueuedAt, request.BatchStartedAt),
            _time.GetElapsedTime(request.BatchStartedAt, request.ForwardDoneAt),
            _time.GetElapsedTime(request.ForwardDoneAt, request.PublishedAt),
            _time.GetElapsedTime(request.PublishedAt, acknowledged)
        );
    }

    // The control generation of the batch's role assignment (AcquireBoth), stamped on its forensics records.
    private long _generation;

    private (ModelLease? Champion, ModelLease? Challenger) TryAcquire()
    {
        try
        {
            if (_catalog is IChampionChallenger roles)
            {
                var (champion, challenger, generation) = roles.AcquireBoth();
                _generation = generation;
                return (champion, challenger);
            }

            return (_catalog.Acquire(), null);
        }
        catch (ModelsNotReadyException)
        {
            return (null, null);
        }
    }

    /// <summary>
    /// A bar no model could decide is never silent: it is logged, counted by reason and
    /// dead-lettered as <c>decision-failed</c> (with its symbol, bar and features), and its input
    /// record completes once that dead letter is delivered, so offsets keep moving. The portfolio is
    /// left as it was, as for a HOLD.
    /// </summary>
    private void Fail(DecisionRequest request, string reason, string detail)
    {
        var symbol = request.Symbol.Symbol;
        var barEnd = DateTimeOffset.FromUnixTimeMilliseconds(request.Bar.EndMs);
        Log.DecisionNotMade(_logger, symbol, barEnd.UtcDateTime, reason, LogText.Quote(detail));
        _metrics.DecisionFailed(reason);
        InferenceTelemetry.End(request.Activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, reason));
        try
        {
            var failed = new FailedBar(
                symbol,
                DateTimeOffset.FromUnixTimeMilliseconds(request.Bar.StartMs),
                barEnd,
                reason,
                detail,
                request.Features
            );
            _deadLetters.Send(
                new DeadLetter(
                    request.Input.topic,
                    request.Input.partition,
                    request.Input.offset,
                    System.Text.Encoding.UTF8.GetBytes(symbol),
                    System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(failed, FailedBar.Json),
                    null,
                    DeadLetterReasons.DecisionFailed,
                    $"no decision for {symbol} bar ending {barEnd:O}: {reason}: {detail}",
                    [
                        ("dlq.failure", reason),
                        ("dlq.symbol", symbol),
                        ("dlq.bar_end", barEnd.ToString("O", System.Globalization.CultureInfo.InvariantCulture)),
                        ("content-type", "application/json"),
                    ]
                ),
                request.Source
            );
        }
        finally
        {
            request.Completion.TrySetException(new DecisionFailedException(reason, detail));
        }
    }
}
