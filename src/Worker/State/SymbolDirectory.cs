using System.Collections.Concurrent;

namespace Inference.Streaming.Worker.State;

/// <summary>
/// The latest closed-bar observations per symbol, published by the ingest thread at every bar
/// close and read by the REST path without touching the stream's mutable state. Keeps the last
/// <see cref="Depth"/> bars per symbol so a request can name a recent time.
/// </summary>
public sealed class SymbolDirectory : IObservationSink
{
    public const int Depth = 8;

    private readonly ConcurrentDictionary<string, ObservationSnapshot[]> _symbols = new(StringComparer.Ordinal);

    public void Publish(ObservationSnapshot snapshot) =>
        _symbols.AddOrUpdate(
            snapshot.Symbol,
            _ => [snapshot],
            (_, history) => history.Length < Depth ? [.. history, snapshot] : [.. history[1..], snapshot]
        );

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
