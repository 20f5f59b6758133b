namespace Inference.Streaming.Worker.State;

/// <summary>
/// The symbols of one input partition, and its event-time watermark: the latest tick time seen.
/// Quiet symbols' bars close when the watermark passes their end (plus the late tolerance), so bar
/// closing depends only on the input sequence and a replay closes the same bars at the same records.
/// </summary>
public sealed class PartitionState(int partition, long barIntervalMs, double initialCapital)
{
    private readonly Dictionary<string, SymbolState> _symbols = new(StringComparer.Ordinal);
    private readonly PriorityQueue<SymbolState, long> _openBars = new();

    // A set: re-admitting a symbol removes it in O(1), whatever a flood left pending.
    private readonly HashSet<string> _evicted = new(StringComparer.Ordinal);

    public int Partition { get; } = partition;

    private volatile bool _revoked;

    /// <summary>This worker no longer owns the partition (another decides its bars from its last checkpoint): what
    /// still waits for the book from it is dropped, not decided. Set on the ingest thread, read by the decision
    /// stage.</summary>
    public bool Revoked
    {
        get => _revoked;
        set => _revoked = value;
    }

    public long WatermarkMs { get; private set; } = long.MinValue;

    public IReadOnlyDictionary<string, SymbolState> Symbols => _symbols;

    public SymbolState GetOrAdd(string symbol)
    {
        if (!_symbols.TryGetValue(symbol, out var state))
        {
            state = new SymbolState(symbol, barIntervalMs, initialCapital);
            _symbols[symbol] = state;
            // A symbol back after eviction is live again: no tombstone may follow its new snapshot.
            _evicted.Remove(symbol);
        }

        return state;
    }

    public void Advance(long eventTimeMs) => WatermarkMs = Math.Max(WatermarkMs, eventTimeMs);

    /// <summary>Symbols evicted since the last checkpoint: the changelog gets a tombstone for each.</summary>
    public IReadOnlyCollection<string> Evicted => _evicted;

    /// <summary>Forgets the tombstones a checkpoint wrote.</summary>
    public void ClearEvicted(IEnumerable<string> written) => _evicted.ExceptWith(written);

    /// <summary>
    /// True when <paramref name="symbol"/> has had no tick or regime update for
    /// <paramref name="idleMs"/> of the partition's event time. A function of the input sequence, so
    /// whether a returning symbol starts fresh does not depend on when checkpoints ran.
    /// </summary>
    public bool IsIdle(SymbolState symbol, long idleMs) =>
        WatermarkMs != long.MinValue
        && symbol.LastActivityMs != long.MinValue
        && symbol.LastActivityMs < WatermarkMs - idleMs;

    /// <summary>Removes a symbol's state; the next checkpoint writes its tombstone.</summary>
    public void Evict(SymbolState symbol)
    {
        if (_symbols.Remove(symbol.Symbol))
        {
            _evicted.Add(symbol.Symbol);
        }
    }

    /// <summary>Evicts every idle symbol whose last decision is done; returns them.</summary>
    public List<SymbolState> EvictIdle(long idleMs)
    {
        var idle = new List<SymbolState>();
        foreach (var symbol in _symbols.Values)
        {
            if (IsIdle(symbol, idleMs) && !symbol.HasDecisionInFlight)
            {
                idle.Add(symbol);
            }
        }

        foreach (var symbol in idle)
        {
            Evict(symbol);
        }

        return idle;
    }

    /// <summary>Last market-ticks offset handled on this partition; −1 when none.</summary>
    public long TicksOffset { get; set; } = -1;

    /// <summary>Last regime-updates offset handled on this partition; −1 when none.</summary>
    public long RegimesOffset { get; set; } = -1;

    /// <summary>Latest regime-update event time seen on this partition; <see cref="long.MinValue"/> before
    /// any.</summary>
    public long RegimeFrontierMs { get; set; } = long.MinValue;

    /// <summary>True while the regime-updates partition is read to its end (no update is waiting to be read).</summary>
    public bool RegimesAtEnd { get; set; }

    /// <summary>Number of the last checkpoint written for this partition.</summary>
    public long CheckpointSequence { get; set; }

    /// <summary>Restores a symbol and the partition's watermark (state restore).</summary>
    public void Restore(SymbolState symbol, long watermarkMs)
    {
        _symbols[symbol.Symbol] = symbol;

        WatermarkMs = Math.Max(WatermarkMs, watermarkMs);
        if (symbol.Bars.HasOpenBar)
        {
            _openBars.Enqueue(symbol, symbol.Bars.OpenBar.EndMs);
        }
    }

    /// <summary>The latest progress reported to the fleet's book: every bar ending at or before it is decided (or
    /// asked for, ahead of the report); <see cref="long.MinValue"/> before any.</summary>
    public long ProgressMs { get; set; } = long.MinValue;

    /// <summary>
    /// Whether a record at <paramref name="timeMs"/> would close a bar of a symbol whose previous decision is not
    /// made yet and <paramref name="stalled"/> (the ingest would wait for it): the symbol's own open bar, or any bar
    /// the watermark would pass.
    /// </summary>
    public bool WouldWaitForDecision(string symbol, long timeMs, long toleranceMs, Func<SymbolState, bool> stalled)
    {
        if (
            _symbols.TryGetValue(symbol, out var own)
            && own.Bars.HasOpenBar
            && own.Bars.OpenBar.EndMs <= timeMs
            && own.IsAwaitingDecision
            && stalled(own)
        )
        {
            return true;
        }

        var watermark = Math.Max(WatermarkMs, timeMs);
        if (!_openBars.TryPeek(out _, out var earliest) || earliest + toleranceMs > watermark)
        {
            return false;
        }

        foreach (var (state, endMs) in _openBars.UnorderedItems)
        {
            if (endMs + toleranceMs <= watermark && state.IsAwaitingDecision && stalled(state))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Remembers that <paramref name="symbol"/> has an open bar ending at <paramref name="endMs"/>.</summary>
    public void TrackOpenBar(SymbolState symbol, long endMs) => _openBars.Enqueue(symbol, endMs);

    /// <summary>Symbols whose open bar should close at the current watermark, in bar-end then symbol order.</summary>
    public IReadOnlyList<SymbolState> DueForClose(long toleranceMs)
    {
        // The common case, checked on every tick: nothing is due, and nothing is allocated.
        if (!_openBars.TryPeek(out _, out var earliest) || earliest + toleranceMs > WatermarkMs)
        {
            return [];
        }

        var due = new List<SymbolState>();
        while (_openBars.TryPeek(out var symbol, out var endMs) && endMs + toleranceMs <= WatermarkMs)
        {
            _openBars.Dequeue();
            // Entries are not removed when a tick closes the bar itself or the symbol is evicted; skip the stale ones.
            if (
                symbol.Bars.HasOpenBar
                && symbol.Bars.OpenBar.EndMs == endMs
                && _symbols.TryGetValue(symbol.Symbol, out var live)
                && ReferenceEquals(live, symbol)
            )
            {
                due.Add(symbol);
            }
        }

        due.Sort(
            (a, b) =>
                a.Bars.OpenBar.EndMs != b.Bars.OpenBar.EndMs
                    ? a.Bars.OpenBar.EndMs.CompareTo(b.Bars.OpenBar.EndMs)
                    : string.CompareOrdinal(a.Symbol, b.Symbol)
        );
        return due;
    }
}
