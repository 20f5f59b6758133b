using Confluent.Kafka;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Worker.Decisions;
using Inference.Streaming.Worker.Fleet;
using Inference.Streaming.Worker.Publishing;
using Inference.Streaming.Worker.State;

namespace Inference.Streaming.Worker.UnitTests.Ingest;

/// <summary>The decision stage as the ingest side sees it: records what was asked, answers with
/// <see cref="Answer"/>.</summary>
internal sealed class FakeDecisionIntake : IDecisionIntake
{
    public List<DecisionRequest> Requests { get; } = [];

    public TradeAction Answer { get; set; } = TradeAction.HOLD;

    public void WaitUntilReady(CancellationToken cancellationToken) { }

    public List<(int Partition, long ThroughMs)> Progressed { get; } = [];

    public bool WaitingForBook => false;

    public void Progress(
        PartitionState partition,
        long throughMs,
        IOutputTracker source,
        CancellationToken cancellationToken
    )
    {
        Progressed.Add((partition.Partition, throughMs));
        source.Complete();
    }

    public Task<TradeAction> Enqueue(DecisionRequest request, CancellationToken cancellationToken)
    {
        Requests.Add(request);
        request.Shadow?.Completion.TrySetResult(Answer);
        return Task.FromResult(Answer);
    }
}

/// <summary>The positions table as a list of what was written, acknowledged at once.</summary>
internal sealed class FakePositionsSink(PositionsBook book) : IPositionsSink
{
    public List<BookPosition> Positions { get; } = [];

    public List<(int Partition, long ThroughMs)> Progressed { get; } = [];

    public List<string> Evictions { get; } = [];

    public void Position(int partition, BookPosition position, IOutputTracker source)
    {
        book.Record(PositionEntry.From(position));
        Positions.Add(position);
    }

    public void Progress(int partition, long throughMs, IOutputTracker source)
    {
        book.Advance(partition, throughMs);
        Progressed.Add((partition, throughMs));
    }

    public void Evicted(int partition, string symbol) => Evictions.Add(symbol);
}

/// <summary>Dead letters as a list of reasons and details, delivered at once.</summary>
internal sealed class FakeDeadLetterSink : IDeadLetterSink
{
    public List<(string Reason, string Detail, long Offset)> Letters { get; } = [];

    public void Send(ConsumeResult<byte[]?, byte[]> record, string reason, string detail, IOutputTracker source) =>
        Send(DeadLetter.Of(record, reason, detail), source);

    public void Send(DeadLetter letter, IOutputTracker source)
    {
        Letters.Add((letter.Reason, letter.Detail, letter.Offset));
        source.AddPending(1);
        source.Complete();
    }
}

/// <summary>Published decisions, acknowledged at once.</summary>
internal sealed class FakeDecisionSink : IDecisionSink
{
    private readonly Lock _gate = new();
    private readonly List<DecisionRecords> _published = [];

    public IReadOnlyList<DecisionRecords> Published
    {
        get
        {
            lock (_gate)
            {
                return [.. _published];
            }
        }
    }

    public void Publish(
        DecisionRecords records,
        IOutputTracker source,
        Action<DecisionDelivery>? decisionDelivered = null
    )
    {
        lock (_gate)
        {
            _published.Add(records);
        }

        // Announced and acknowledged at once, as the real publisher would for a healthy broker.
        source.AddPending(2);
        source.Complete();
        source.Complete();
    }
}
