using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Experiments;
using Inference.Streaming.Worker.Publishing;
using Inference.Streaming.Worker.State;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Decisions;

/// <summary>
/// Decides closed bars in micro-batches (<see cref="DecisionInbox"/>): one forward per model per batch, then each row
/// in order, with the book its <see cref="BookGate"/> takes for it.
/// </summary>
public sealed class DecisionBatcher : BackgroundService, IDecisionIntake
{
    private readonly DecisionInbox _queue;
    private readonly BookGate _gate;
    private readonly IModelCatalog _catalog;
    private readonly DecisionAssembler _assembler;
    private readonly IDecisionSink _publisher;
    private readonly IDeadLetterSink _deadLetters;
    private readonly PipelineMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<DecisionBatcher> _logger;
    private readonly int _maxBatch;
    private readonly TimeSpan _maxDelay;
    private readonly BatchScorer _live;
    private readonly BatchScorer _challenger;
    private readonly DecisionFailures _failures;
    private readonly ShadowDecisions _shadow;
    private readonly DecisionLatency _latency;
    private readonly List<DecisionRequest> _batch;
    private readonly ExperimentArms _arms;
    private readonly CpuAccounting _cpu;

    public DecisionBatcher(
        IModelCatalog catalog,
        DecisionAssembler assembler,
        IDecisionSink publisher,
        IDeadLetterSink deadLetters,
        PipelineMetrics metrics,
        IOptions<InferenceOptions> options,
        TimeProvider time,
        ILogger<DecisionBatcher> logger,
        ExperimentArms arms,
        BookGate gate,
        CpuAccounting cpu
    )
    {
        _gate = gate;
        _cpu = cpu;
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
        _live = new BatchScorer(_maxBatch, logger);
        _challenger = new BatchScorer(_maxBatch, logger);
        _failures = new DecisionFailures(deadLetters, metrics, logger);
        _shadow = new ShadowDecisions(assembler, publisher, arms, logger);
        _latency = new DecisionLatency(metrics, time);
        _batch = new List<DecisionRequest>(_maxBatch);
        _queue = new DecisionInbox(_maxBatch, _maxDelay, gate, time);
    }

    public void WaitUntilReady(CancellationToken cancellationToken)
    {
        if (_catalog.IsLoaded)
        {
            return;
        }

        DecisionsLog.WaitingForModels(_logger);
        while (!_catalog.IsLoaded)
        {
            cancellationToken.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(100));
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Queues a closed bar; blocks the caller while the queue is full (back-pressure on ingest).</summary>
    public Task<TradeAction> Enqueue(DecisionRequest request, CancellationToken cancellationToken) =>
        _queue.Enqueue(request, cancellationToken);

    public bool WaitingForBook => _gate.Waiting > 0;

    public void Progress(
        PartitionState partition,
        long throughMs,
        IOutputTracker source,
        CancellationToken cancellationToken
    ) => _queue.Progress(partition, throughMs, source, cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await _queue.WaitAsync(stoppingToken))
            {
                await _queue.FillAsync(_batch, stoppingToken);
                Run();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Drain what is queued so no closed bar is dropped on the way out (what waits for the book stays
            // undecided: its records are read again after a restart).
            while (_queue.HasWork)
            {
                await _queue.FillAsync(_batch, CancellationToken.None);
                Run();
            }
        }
    }

    private void Run()
    {
        if (_batch.Count == 0)
        {
            _gate.Done();
            return;
        }

        var count = _batch.Count;
        var cpuStarted = CpuAccounting.ThreadNanoseconds();
        var started = _time.GetTimestamp();
        var (champion, challenger) = TryAcquire();
        try
        {
            // A shadow experiment's challenger scores its rows on another thread, with buffers of its own, while
            // the champion scores the live rows here: each forward runs on one core (Inference:CpuThreads), so the
            // batch waits for the slower of the two rather than their sum.
            var shadow = new ScoredRows(count);
            var shadowRun = _batch.Any(r => r.Shadow is not null)
                ? Task.Run(() =>
                {
                    var shadowStarted = CpuAccounting.ThreadNanoseconds();
                    _challenger.Score(challenger?.Set, _batch, shadow, r => r.Shadow?.Features);
                    _cpu.AddDecide(shadowStarted);
                })
                : Task.CompletedTask;
            // The champion's rows in the order and shape they would have without an experiment, so its forward (and
            // so its decisions) are the same with a shadow experiment on or off.
            var live = new ScoredRows(count);
            _live.Score(champion?.Set, _batch, live, r => r.Arm == ModelRole.Champion ? r.Features : null);
            _live.Score(challenger?.Set, _batch, live, r => r.Arm == ModelRole.Challenger ? r.Features : null);
            shadowRun.GetAwaiter().GetResult();

            var forwardDone = _time.GetTimestamp();
            var stamp = new BatchStamp(
                started,
                _time.GetElapsedTime(started, forwardDone).TotalMilliseconds,
                _generation
            );
            _metrics.RecordBatch(count, stamp.InferenceMs);
            for (var i = 0; i < count; i++)
            {
                var request = _batch[i];
                (request.BatchStartedAt, request.ForwardDoneAt) = (started, forwardDone);
                try
                {
                    _gate.Before(i, request);
                    var set = (request.Arm == ModelRole.Challenger ? challenger : champion)?.Set;
                    var action = Decide(request, live, i, set, stamp);
                    if (request.Shadow is { } view)
                    {
                        _shadow.Decide(request, view, shadow, i, challenger?.Set, stamp, action);
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
            _gate.Done();
            champion?.Dispose();
            challenger?.Dispose();
            _cpu.AddDecide(cpuStarted);
        }
    }

    /// <summary>Assembles and publishes the live decision of row <paramref name="i"/>; its action, or null when it
    /// failed (dead-lettered).</summary>
    private TradeAction? Decide(DecisionRequest request, ScoredRows live, int i, ModelSet? set, BatchStamp batch)
    {
        if (live.FailureOf(i) is { } batchFailure)
        {
            _failures.Fail(request, batchFailure.Reason, batchFailure.Detail);
            return null;
        }

        var result = live.Results[i]!;
        if (!result.Succeeded)
        {
            _failures.Fail(request, result.Failure!, result.FailureDetail ?? result.Failure!);
            return null;
        }

        try
        {
            var records = _assembler.Assemble(
                request,
                result,
                set!,
                batch.InferenceMs,
                batch.Started,
                experiment: _arms.Mark(request.Arm),
                controlGeneration: batch.Generation
            );
            if (
                (FiniteCheck.FirstNonFinite(records.Decision) ?? FiniteCheck.FirstNonFinite(records.Forensics)) is
                { } field
            )
            {
                _failures.Fail(
                    request,
                    DecisionFailure.NonFiniteRecord,
                    $"the decision's '{field}' is not finite; nothing was published"
                );
                return null;
            }

            request.PublishedAt = _time.GetTimestamp();
            var action = records.Decision.action;
            _publisher.Publish(records, request.Source, delivery => _latency.Delivered(request, action, delivery));
            _gate.Decided(request, records.Decision, records.Forensics.risk_inputs);
            _arms.Decided(ExperimentArms.Name(request.Arm), action);

            // The publish span ends when the broker answers (Delivered).
            request.Activity?.SetTag("inference.decision_id", records.Decision.decision_id);
            request.Completion.SetResult(action);
            return action;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _failures.Fail(request, DecisionFailure.PublishError, $"{ex.GetType().Name}: {ex.Message}");
            return null;
        }
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
}
