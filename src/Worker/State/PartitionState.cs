using Inference.Streaming.Engine.Risk;

namespace Inference.Streaming.Worker.State;

/// <summary>
/// The symbols of one input partition, and its event-time watermark: the latest tick time seen.
/// Quiet symbols' bars close when the watermark passes their end (plus the late tolerance), so bar
/// closing depends only on the input sequence and a replay closes the same bars at the same records.
/// </summary>
/// <remarks>
/// The symbols that <c>Risk:Sectors</c> maps form the partition's book (<see cref="EnterBook"/>):
/// its totals change only on the ingest thread, in the partition's record order, so the
/// concentration check sees the same book on every replay and after every restore.
/// </remarks>
public sealed class PartitionState(int partition, long barIntervalMs, double initialCapital, SectorMap sectors)
{
    private readonly SectorMap _sectors = sectors;
    private readonly BookTotals _book = new();
    private readonly Dictionary<string, SymbolState> _symbols = new(StringComparer.Ordinal);
    private readonly PriorityQueue<SymbolState, long> _openBars = new();

    // A set: re-admitting a symbol removes it in O(1), whatever a flood left pending.
    private readonly HashSet<string> _evicted = new(StringComparer.Ordinal);

    public int Partition { get; } = partition;

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
            LeaveBook(symbol);
            _evicted.Add(symbol.Symbol);
        }
    }

    /// <summary>
    /// Records a mapped symbol's book entry at a bar close and returns the book as the symbol's
    /// decision sees it (the other positions of its sector, the other accounts); a symbol the map
    /// does not name is alone.
    /// </summary>
    public SectorBook EnterBook(SymbolState symbol, BookEntry entry)
    {
        if (_sectors.SectorOf(symbol.Symbol) is not { } sector)
        {
            return SectorBook.Alone;
        }

        LeaveBook(symbol);
        symbol.Book = entry;
        _book.Add(sector, entry);
        return _book.PeersOf(sector, entry);
    }

    private void LeaveBook(SymbolState symbol)
    {
        if (symbol.Book is { } entry && _sectors.SectorOf(symbol.Symbol) is { } sector)
        {
            _book.Remove(sector, entry);
        }

        symbol.Book = null;
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
        if (_symbols.TryGetValue(symbol.Symbol, out var replaced))
        {
            LeaveBook(replaced);
        }

        _symbols[symbol.Symbol] = symbol;
        if (symbol.Book is { } entry && _sectors.SectorOf(symbol.Symbol) is { } sector)
        {
            _book.Add(sector, entry);
        }

        WatermarkMs = Math.Max(WatermarkMs, watermarkMs);
        if (symbol.Bars.HasOpenBar)
        {
            _openBars.Enqueue(symbol, symbol.Bars.OpenBar.EndMs);
        }
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
