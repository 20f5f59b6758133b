namespace Inference.Streaming.Engine.Features;

/// <summary>
/// Aggregates one symbol's ticks into bars of a fixed interval aligned to the Unix epoch. A bar
/// closes when a tick of a later bucket arrives (or when the partition's event time passes its end,
/// see <see cref="TryCloseAt"/>); a tick for the open bar is included even when slightly out of
/// order; a tick for a bar that has closed is late.
/// </summary>
public sealed class BarBuilder(long intervalMs)
{
    private bool _open;
    private Bar _current;

    public long IntervalMs { get; } =
        intervalMs > 0 ? intervalMs : throw new ArgumentOutOfRangeException(nameof(intervalMs));

    /// <summary>End of the last closed bar; ticks before it are late.</summary>
    public long ClosedUntilMs { get; private set; } = long.MinValue;

    public bool HasOpenBar => _open;

    public Bar OpenBar => _current;

    /// <summary>Adds a tick; returns the bar it closed, if it closed one.</summary>
    public TickOutcome Add(long timeMs, double price, double size, out Bar closed)
    {
        closed = default;
        if (timeMs < ClosedUntilMs)
        {
            return TickOutcome.Late;
        }

        var start = timeMs - Mod(timeMs, IntervalMs);
        if (_open && start < _current.StartMs)
        {
            // Older than the open bar but not yet closed: an out-of-order tick for a bucket that had
            // no bar. Bars never reopen, so it is late too.
            return TickOutcome.Late;
        }

        var outcome = TickOutcome.Added;
        if (_open && start > _current.StartMs)
        {
            closed = Close();
            outcome = TickOutcome.ClosedBar;
        }

        if (!_open)
        {
            _current = new Bar(start, start + IntervalMs, price, price, price, price, size, 1);
            _open = true;
        }
        else
        {
            _current = _current with
            {
                High = Math.Max(_current.High, price),
                Low = Math.Min(_current.Low, price),
                Close = price,
                Volume = _current.Volume + size,
                Ticks = _current.Ticks + 1,
            };
        }

        return outcome;
    }

    /// <summary>Closes the open bar when event time <paramref name="nowMs"/> has passed its end by
    /// <paramref name="graceMs"/>.</summary>
    public bool TryCloseAt(long nowMs, long graceMs, out Bar closed)
    {
        if (_open && nowMs >= _current.EndMs + graceMs)
        {
            closed = Close();
            return true;
        }

        closed = default;
        return false;
    }

    /// <summary>Restores the builder (state snapshots).</summary>
    public void Restore(bool open, Bar current, long closedUntilMs)
    {
        _open = open;
        _current = current;
        ClosedUntilMs = closedUntilMs;
    }

    private Bar Close()
    {
        _open = false;
        ClosedUntilMs = _current.EndMs;
        return _current;
    }

    private static long Mod(long value, long interval) => ((value % interval) + interval) % interval;
}
