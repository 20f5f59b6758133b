using System.Diagnostics.Metrics;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Risk;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Fleet;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Decisions;

/// <summary>
/// The alignment of decisions with the whole book (<c>Risk:Sectors</c>), in the decision stage. A mapped symbol's
/// bar ending at T is decided once every other input partition holding mapped symbols has been decided through
/// T − bar interval (its own partition is, by its order), or once <c>Risk:BookAlignmentTimeout</c> has passed; until
/// then it waits, and with it everything behind it from its partition, so each partition is decided in its order.
/// Other partitions go on. At the decision, the book is taken as of that boundary; after it, the position it leaves
/// goes to the positions table. Without a sector map everything passes straight through.
/// </summary>
public sealed class BookGate
{
    private readonly PositionsBook _book;
    private readonly IPositionsSink _publisher;
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;
    private readonly ILogger _logger;
    private readonly Counter<long> _incomplete;
    private readonly Histogram<double> _waited;
    private readonly SortedDictionary<int, Queue<(StageItem Item, long Since)>> _waiting = [];
    private readonly Dictionary<int, long> _ahead = [];
    private readonly List<(int After, BookProgress Progress)> _progress = [];
    private int _applied;

    public BookGate(
        PositionsBook book,
        IPositionsSink publisher,
        IOptions<RiskOptions> risk,
        TimeProvider time,
        IMeterFactory meters,
        ILogger<BookGate> logger
    )
    {
        (_book, _publisher, _time, _logger) = (book, publisher, time, logger);
        _timeout = risk.Value.BookAlignmentTimeout;
        var meter = meters.Create(PipelineMetrics.MeterName);
        _incomplete = meter.CreateCounter<long>(
            "inference_book_incomplete_decisions",
            "{decision}",
            "Decisions of mapped symbols that went ahead without every partition's positions "
                + "(Risk:BookAlignmentTimeout)"
        );
        _waited = meter.CreateHistogram<double>(
            "inference_book_alignment_wait",
            "ms",
            "How long a mapped symbol's bar waited in the decision stage for the book's other partitions"
        );
        meter.CreateObservableGauge(
            "inference_book_waiting",
            () => Volatile.Read(ref _waitingCount),
            "{item}",
            "Bars (and progress reports) waiting in the decision stage for the book's other partitions"
        );
    }

    private int _waitingCount;

    /// <summary>Items waiting for the book.</summary>
    public int Waiting => Volatile.Read(ref _waitingCount);

    /// <summary>Progress reports taken into this batch and not yet applied: the batch has something to send even
    /// with no bar in it.</summary>
    public bool HasProgress => _applied < _progress.Count;

    /// <summary>A new batch: nothing in it yet.</summary>
    public void StartBatch()
    {
        _ahead.Clear();
        _progress.Clear();
        _applied = 0;
    }

    /// <summary>Moves what may go now from the waiting queues into <paramref name="batch"/>, each partition in its
    /// order.</summary>
    public void Release(List<DecisionRequest> batch, int max)
    {
        if (_waitingCount == 0)
        {
            return;
        }

        var emptied = new List<int>();
        foreach (var (partition, queue) in _waiting)
        {
            while (queue.Count > 0 && batch.Count < max)
            {
                var (item, since) = queue.Peek();
                if (item.Revoked)
                {
                    // Its new owner decides it again from its last checkpoint, against the same book.
                    queue.Dequeue();
                    Interlocked.Decrement(ref _waitingCount);
                    item.Drop();
                    continue;
                }

                if (item.Request is { } request && !Ready(request, since))
                {
                    break;
                }

                queue.Dequeue();
                Interlocked.Decrement(ref _waitingCount);
                if (item.Request is { } released)
                {
                    _waited.Record(_time.GetElapsedTime(since).TotalMilliseconds);
                }

                Take(item, batch);
            }

            if (queue.Count == 0)
            {
                emptied.Add(partition);
            }
        }

        foreach (var partition in emptied)
        {
            _waiting.Remove(partition);
        }
    }

    /// <summary>An item read from the stage's queue: into <paramref name="batch"/>, or to wait behind its
    /// partition.</summary>
    public void Admit(StageItem item, List<DecisionRequest> batch)
    {
        var now = _time.GetTimestamp();
        var queued = _waiting.TryGetValue(item.Partition, out var queue) && queue.Count > 0;
        if (queued || (item.Request is { } request && !Ready(request, now)))
        {
            if (item.Revoked)
            {
                item.Drop();
                return;
            }

            if (queue is null)
            {
                _waiting[item.Partition] = queue = new Queue<(StageItem, long)>();
            }

            queue.Enqueue((item, now));
            Interlocked.Increment(ref _waitingCount);
            return;
        }

        Take(item, batch);
    }

    /// <summary>Before row <paramref name="row"/> of the batch is decided: the progress reports queued ahead of it are
    /// applied, and a mapped symbol's book is taken as of the boundary before its bar.</summary>
    public void Before(int row, DecisionRequest request)
    {
        ApplyProgress(row - 1);
        if (!_book.Enabled || _book.SectorOf(request.Symbol.Symbol) is not { } sector)
        {
            return;
        }

        var asOf = _book.AsOf(request.Bar.EndMs);
        var missing = request.BookMissing ?? [];
        var (book, peers) = _book.PeersOf(request.Symbol.Symbol, sector, asOf);
        request.Book = book;
        request.BookView = new BookView(asOf, peers, missing);
        if (request.Shadow is { } shadow)
        {
            shadow.Book = book;
        }

        if (missing.Count > 0)
        {
            _incomplete.Add(1);
            FleetLog.BookIncomplete(_logger, request.Symbol.Symbol, asOf, string.Join(",", missing));
        }
    }

    /// <summary>After a mapped symbol's decision was published: the position it leaves, to the positions
    /// table.</summary>
    public void Decided(DecisionRequest request, TradingDecision decision, RiskInputs inputs)
    {
        if (request.BookView is null || request.Book.Sector is not { } sector)
        {
            return;
        }

        try
        {
            Publish(request, decision, inputs, sector);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The decision is out: it stands. Without its position, peers that need it wait for the timeout and then
            // say so (book_missing), rather than this decision being reported failed after it was published.
            FleetLog.PositionNotWritten(_logger, request.Symbol.Symbol, decision.decision_id, ex);
        }
    }

    private void Publish(DecisionRequest request, TradingDecision decision, RiskInputs inputs, string sector)
    {
        var after = new PaperPortfolio(inputs.initial_capital);
        after.Restore(inputs.initial_capital, inputs.cash, inputs.shares, 0, inputs.initial_capital);
        after.Apply(decision.action, inputs.close);
        _publisher.Position(
            request.Input.partition,
            new BookPosition
            {
                symbol = request.Symbol.Symbol,
                sector = sector,
                bar_end_ms = request.Bar.EndMs,
                shares = after.Shares,
                cash = after.Cash,
                close = inputs.close,
                position_value = after.Shares * inputs.close,
                value = after.ValueAt(inputs.close),
                decision_id = decision.decision_id,
            },
            request.Source
        );
    }

    /// <summary>The batch is decided: the progress reports left in it are applied.</summary>
    public void Done() => ApplyProgress(int.MaxValue);

    private bool Ready(DecisionRequest request, long since)
    {
        if (!_book.Enabled || _book.SectorOf(request.Symbol.Symbol) is null)
        {
            return true;
        }

        var behind = _book.Behind(request.Input.partition, _book.AsOf(request.Bar.EndMs), _ahead);
        if (behind.Count == 0)
        {
            return true;
        }

        if (_time.GetElapsedTime(since) >= _timeout)
        {
            request.BookMissing = behind;
            return true;
        }

        return false;
    }

    private void Take(StageItem item, List<DecisionRequest> batch)
    {
        if (item.Request is { } request)
        {
            batch.Add(request);
            return;
        }

        var progress = item.Progress!;
        _progress.Add((batch.Count - 1, progress));
        _ahead[progress.Partition] = Math.Max(
            _ahead.GetValueOrDefault(progress.Partition, long.MinValue),
            progress.ThroughMs
        );
    }

    private void ApplyProgress(int decidedUpTo)
    {
        for (; _applied < _progress.Count && _progress[_applied].After <= decidedUpTo; _applied++)
        {
            var progress = _progress[_applied].Progress;
            try
            {
                _publisher.Progress(progress.Partition, progress.ThroughMs, progress.Source);
            }
            finally
            {
                progress.Source.Complete();
            }
        }
    }
}
