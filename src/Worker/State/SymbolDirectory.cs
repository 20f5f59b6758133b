using System.Collections.Concurrent;

namespace Inference.Streaming.Worker.State;

/// <summary>
/// The latest closed-bar observations per symbol, read by the REST path without touching the stream's
/// mutable state: this worker's own, published by the ingest thread at every bar close, and in a worker
/// the whole fleet's, read from <c>symbol-observations</c> (<see cref="Fleet.ObservationReplica"/>). Keeps
/// the last <see cref="Depth"/> bars per symbol, in bar order, so a request can name a recent time.
/// </summary>
public sealed class SymbolDirectory : IObservationSink
{
    public const int Depth = 8;

    private readonly ConcurrentDictionary<string, ObservationSnapshot[]> _symbols = new(StringComparer.Ordinal);

    /// <summary>Symbols held.</summary>
    public int Count => _symbols.Count;

    /// <summary>
    /// Adds a bar in order. The same bar again replaces it (a replica hears the owner's own bars; a new owner
    /// re-decides, identically, the bars after its restored checkpoint); an older bar than the oldest kept is
    /// dropped.
    /// </summary>
    public void Publish(ObservationSnapshot snapshot) =>
        _symbols.AddOrUpdate(
            snapshot.Symbol,
            static (_, added) => [added],
            static (_, history, added) => Insert(history, added),
            snapshot
        );

    private static ObservationSnapshot[] Insert(ObservationSnapshot[] history, ObservationSnapshot snapshot)
    {
        var end = snapshot.Bar.EndMs;
        if (history[^1].Bar.EndMs < end)
        {
            return history.Length < Depth ? [.. history, snapshot] : [.. history[1..], snapshot];
        }

        var bars = new List<ObservationSnapshot>(history);
        var at = bars.FindIndex(s => s.Bar.EndMs >= end);
        if (bars[at].Bar.EndMs == end)
        {
            bars[at] = snapshot;
        }
        else
        {
            bars.Insert(at, snapshot);
        }

        return bars.Count > Depth ? [.. bars.Skip(bars.Count - Depth)] : [.. bars];
    }

    /// <summary>The bar holding <paramref name="at"/> (or the latest), or why there is none.</summary>
    public ObservationSnapshot? Find(string symbol, DateTimeOffset? at, out bool symbolKnown)
    {
        symbolKnown = _symbols.TryGetValue(symbol, out var history);
        if (!symbolKnown)
        {
            return null;
        }

        if (at is null)
        {
            return history![^1];
        }

        var ms = at.Value.ToUnixTimeMilliseconds();
        return Array.FindLast(history!, s => s.Bar.StartMs <= ms && ms < s.Bar.EndMs);
    }

    /// <summary>The partition of a symbol's latest bar, if it is held.</summary>
    public int? PartitionOf(string symbol) =>
        _symbols.TryGetValue(symbol, out var history) ? history[^1].Partition : null;

    /// <summary>The time span the worker holds for a symbol, for error messages.</summary>
    public (DateTimeOffset From, DateTimeOffset To)? Span(string symbol) =>
        _symbols.TryGetValue(symbol, out var history)
            ? (
                DateTimeOffset.FromUnixTimeMilliseconds(history[0].Bar.StartMs),
                DateTimeOffset.FromUnixTimeMilliseconds(history[^1].Bar.EndMs)
            )
            : null;

    /// <summary>Forgets an evicted symbol.</summary>
    public void Remove(string symbol) => _symbols.TryRemove(symbol, out _);

    /// <summary>Forgets the symbols of partitions this worker no longer owns.</summary>
    public void RemovePartitions(IEnumerable<int> partitions)
    {
        var gone = partitions.ToHashSet();
        foreach (var (symbol, history) in _symbols)
        {
            if (gone.Contains(history[^1].Partition))
            {
                _symbols.TryRemove(symbol, out _);
            }
        }
    }
}
