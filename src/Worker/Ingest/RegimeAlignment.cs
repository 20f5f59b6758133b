using Confluent.Kafka;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Worker.Fleet;
using Inference.Streaming.Worker.Regimes;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Ingest;

/// <summary>
/// Event-time alignment of the two inputs, in one place. A tick may be processed once its
/// partition's regime updates have reached the start of its bar's bucket (so every update for the
/// bars it may close has been read), or, on a partition that has never carried an update, once the
/// regime partition is read to its end. A tick that must wait is held, its partition paused by the
/// caller, until the updates catch up or <c>Features:RegimeAlignmentTimeout</c> passes.
/// </summary>
public sealed class RegimeAlignment(
    RecordHandler handler,
    OwnedPartitions owned,
    IOptions<FeatureOptions> features,
    TimeProvider time,
    StreamRegimes regimes,
    PositionsBook book
)
{
    private readonly long _toleranceMs = (long)features.Value.LateTolerance.TotalMilliseconds;

    // With Regimes:Source Detector no regime topic is read: nothing to wait for.
    private readonly bool _detector = regimes.FromDetector;
    private readonly long _barMs = (long)features.Value.BarInterval.TotalMilliseconds;
    private readonly TimeSpan _timeout = features.Value.RegimeAlignmentTimeout;

    // Ticks held back until their partition's regime updates catch up, with when they were held.
    private readonly Dictionary<int, (ConsumeResult<byte[]?, byte[]> Record, long Since)> _held = [];

    /// <summary>Ticks held now.</summary>
    public int Held => _held.Count;

    /// <summary>Whether <paramref name="record"/> may be processed now: its regime updates are read, and (while the
    /// book is kept) it would not wait for a decision that waits for the book.</summary>
    public bool CaughtUp(ConsumeResult<byte[]?, byte[]> record) =>
        RegimesCaughtUp(record) && !WouldWaitForDecision(record);

    private bool RegimesCaughtUp(ConsumeResult<byte[]?, byte[]> record)
    {
        if (_detector || handler.TickTimeToAlign(record, out var partition) is not { } timeMs)
        {
            return true;
        }

        var bucketStart = timeMs - (((timeMs % _barMs) + _barMs) % _barMs);
        return partition!.RegimeFrontierMs == long.MinValue
            ? partition.RegimesAtEnd
            : partition.RegimeFrontierMs >= bucketStart;
    }

    /// <summary>
    /// While the book is kept: whether <paramref name="record"/> is a tick that would close a bar of a symbol whose
    /// previous decision is waiting (for the book's other partitions). It is held instead, so the ingest thread goes
    /// on reading the partitions that decision waits for.
    /// </summary>
    private bool WouldWaitForDecision(ConsumeResult<byte[]?, byte[]> record)
    {
        if (!book.Enabled || handler.TickTimeToAlign(record, out var partition) is not { } timeMs)
        {
            return false;
        }

        var number = partition!.Partition;
        // A decision whose book is complete goes at once, and so does everything before it on its partition (their
        // boundaries are no later): waiting for it is short. One whose book is not may wait for other partitions.
        return handler.AlignedSymbol is { } symbol
            && partition.WouldWaitForDecision(
                symbol,
                timeMs,
                _toleranceMs,
                s => !book.IsComplete(number, book.AsOf(s.Bars.ClosedUntilMs))
            );
    }

    /// <summary>The regime-updates partition <paramref name="partition"/> was read to its end.</summary>
    public void ReadToEnd(int partition)
    {
        if (owned.Partitions.TryGetValue(partition, out var state))
        {
            state.RegimesAtEnd = true;
        }
    }

    /// <summary>Holds <paramref name="record"/>, which may not be processed yet; the caller pauses its
    /// partition.</summary>
    public void Hold(ConsumeResult<byte[]?, byte[]> record) =>
        _held[record.Partition.Value] = (record, time.GetTimestamp());

    /// <summary>The held ticks that may go now (caught up, or held past the timeout), no longer held; the caller
    /// processes each and resumes its partition.</summary>
    public IReadOnlyList<ConsumeResult<byte[]?, byte[]>> Release()
    {
        if (_held.Count == 0)
        {
            return [];
        }

        var released = new List<ConsumeResult<byte[]?, byte[]>>();
        foreach (var (partition, (record, since)) in _held)
        {
            // The regime wait gives up after its timeout; the book's has its own, in the decision stage.
            if ((RegimesCaughtUp(record) || time.GetElapsedTime(since) >= _timeout) && !WouldWaitForDecision(record))
            {
                released.Add(record);
            }
        }

        foreach (var record in released)
        {
            _held.Remove(record.Partition.Value);
        }

        return released;
    }

    /// <summary>Drops what is held for partitions this worker no longer owns.</summary>
    public void Forget(IEnumerable<int> partitions)
    {
        foreach (var partition in partitions)
        {
            _held.Remove(partition);
        }
    }
}
