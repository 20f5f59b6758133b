using System.Text;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Risk;
using Inference.Streaming.Worker.Kafka;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Fleet;

/// <summary>One mapped symbol's account after one of its decisions, valued at that bar's close.</summary>
public readonly record struct PositionEntry(
    string Symbol,
    string Sector,
    long BarEndMs,
    double PositionValue,
    double Value,
    string DecisionId
)
{
    public static PositionEntry From(Contracts.Events.BookPosition position) =>
        new(
            position.symbol,
            position.sector,
            position.bar_end_ms,
            position.position_value,
            position.value,
            position.decision_id
        );
}

/// <summary>
/// The whole book, as every instance holds it: each symbol <c>Risk:Sectors</c> maps, with its recent positions
/// (from this instance's own decisions at once, and from the positions topic for everyone's), and how far each
/// input partition has been decided. A decision for a bar ending at T sees each peer's latest position whose bar
/// ended at or before T − bar interval, once every input partition holding mapped symbols has been decided through
/// that boundary, so the book it sees does not depend on which instance decided what, or when it arrived. Thread-safe:
/// the decision stage and the topic's reader write it, predict reads it.
/// </summary>
public sealed class PositionsBook
{
    /// <summary>Positions kept per symbol: enough to re-decide bars after a restore as far back as this many bar
    /// intervals behind the newest.</summary>
    public const int HistoryPerSymbol = 1024;

    private readonly object _gate = new();
    private readonly SectorMap _sectors;
    private readonly SortedDictionary<string, List<PositionEntry>> _positions = new(StringComparer.Ordinal);
    private readonly Dictionary<int, long> _through = [];
    private readonly long _barMs;
    private readonly long _idleMs;

    public PositionsBook(
        SectorMap sectors,
        IOptions<RiskOptions> risk,
        IOptions<FeatureOptions> features,
        IOptions<KafkaOptions> kafka
    )
        : this(
            sectors,
            (long)features.Value.BarInterval.TotalMilliseconds,
            (long)features.Value.SymbolIdleTimeout.TotalMilliseconds,
            MappedPartitions(risk.Value.Sectors.Keys, kafka.Value)
        ) { }

    public PositionsBook(SectorMap sectors, long barMs, long idleMs, IReadOnlyCollection<int> mappedPartitions)
    {
        _sectors = sectors;
        _barMs = barMs;
        _idleMs = idleMs;
        Partitions = mappedPartitions;
        Enabled = mappedPartitions.Count > 0;
    }

    /// <summary>True when <c>Risk:Sectors</c> maps symbols: only then is there a book to keep.</summary>
    public bool Enabled { get; }

    /// <summary>The input partitions that hold mapped symbols: the ones a book waits for.</summary>
    public IReadOnlyCollection<int> Partitions { get; }

    public long BarMs => _barMs;

    /// <summary>The boundary a decision for a bar ending at <paramref name="barEndMs"/> takes the book at.</summary>
    public long AsOf(long barEndMs) => barEndMs - _barMs;

    public string? SectorOf(string symbol) => _sectors.SectorOf(symbol);

    /// <summary>Records a position (a decision of this instance, or one read from the topic; the same position twice
    /// is one).</summary>
    public void Record(PositionEntry entry)
    {
        lock (_gate)
        {
            if (!_positions.TryGetValue(entry.Symbol, out var history))
            {
                _positions[entry.Symbol] = history = [];
            }

            var at = history.Count;
            while (at > 0 && history[at - 1].BarEndMs >= entry.BarEndMs)
            {
                at--;
            }

            if (at < history.Count && history[at].BarEndMs == entry.BarEndMs)
            {
                history[at] = entry;
            }
            else
            {
                history.Insert(at, entry);
            }

            if (history.Count > HistoryPerSymbol)
            {
                history.RemoveRange(0, history.Count - HistoryPerSymbol);
            }
        }
    }

    /// <summary>Input partition <paramref name="partition"/> has been decided through <paramref name="throughMs"/>
    /// (a later, lower report changes nothing).</summary>
    public void Advance(int partition, long throughMs)
    {
        lock (_gate)
        {
            if (!_through.TryGetValue(partition, out var known) || throughMs > known)
            {
                _through[partition] = throughMs;
            }
        }
    }

    /// <summary>How far input partition <paramref name="partition"/> is known to be decided;
    /// <see cref="long.MinValue"/> before any report.</summary>
    public long ThroughOf(int partition)
    {
        lock (_gate)
        {
            return _through.GetValueOrDefault(partition, long.MinValue);
        }
    }

    /// <summary>
    /// The symbol left its owner's memory (a tombstone): its positions go once no decision can still look them up,
    /// that is, once every mapped partition is decided past the history this book keeps.
    /// </summary>
    public void Forget(string symbol)
    {
        lock (_gate)
        {
            if (!_positions.TryGetValue(symbol, out var history) || history.Count == 0)
            {
                _positions.Remove(symbol);
                return;
            }

            var horizon = Horizon();
            if (horizon != long.MinValue && history[^1].BarEndMs < horizon)
            {
                _positions.Remove(symbol);
            }
        }
    }

    /// <summary>Symbols with positions held, and the positions held in all (memory).</summary>
    public (int Symbols, int Positions) Size()
    {
        lock (_gate)
        {
            return (_positions.Count, _positions.Values.Sum(h => h.Count));
        }
    }

    /// <summary>Whether every mapped partition other than <paramref name="own"/> is decided through
    /// <paramref name="asOfMs"/>.</summary>
    public bool IsComplete(int own, long asOfMs)
    {
        lock (_gate)
        {
            foreach (var partition in Partitions)
            {
                if (partition != own && _through.GetValueOrDefault(partition, long.MinValue) < asOfMs)
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>The mapped partitions other than <paramref name="own"/> not yet decided through
    /// <paramref name="asOfMs"/>; <paramref name="ahead"/> reports progress the caller knows will be applied
    /// first.</summary>
    public List<int> Behind(int own, long asOfMs, IReadOnlyDictionary<int, long>? ahead = null)
    {
        var behind = new List<int>();
        lock (_gate)
        {
            foreach (var partition in Partitions)
            {
                if (partition == own)
                {
                    continue;
                }

                var through = _through.GetValueOrDefault(partition, long.MinValue);
                if (ahead is not null && ahead.TryGetValue(partition, out var pending))
                {
                    through = Math.Max(through, pending);
                }

                if (through < asOfMs)
                {
                    behind.Add(partition);
                }
            }
        }

        return behind;
    }

    /// <summary>
    /// The book <paramref name="symbol"/> (of <paramref name="sector"/>) is checked against as of
    /// <paramref name="asOfMs"/>: every other mapped symbol's latest position whose bar ended at or before it,
    /// unless that bar ended a <c>Features:SymbolIdleTimeout</c> or more before (its owner has let it go).
    /// Sums are exact (whole micro-units), so they do not depend on the order positions arrived in.
    /// </summary>
    public (SectorBook Book, List<PositionEntry> Peers) PeersOf(string symbol, string sector, long asOfMs)
    {
        var peers = new List<PositionEntry>();
        Int128 sectorMicros = 0;
        Int128 bookMicros = 0;
        lock (_gate)
        {
            foreach (var (peer, history) in _positions)
            {
                if (peer == symbol || _sectors.SectorOf(peer) is not { } peerSector)
                {
                    continue;
                }

                if (Latest(history, asOfMs) is not { } entry || entry.BarEndMs <= asOfMs - _idleMs)
                {
                    continue;
                }

                peers.Add(entry with { Sector = peerSector });
                bookMicros += Micros(entry.Value);
                if (peerSector == sector)
                {
                    sectorMicros += Micros(entry.PositionValue);
                }
            }
        }

        return (new SectorBook(sector, Dollars(sectorMicros), Dollars(bookMicros)), peers);
    }

    /// <summary>The input partitions of <paramref name="symbols"/> under <c>Kafka:Partitioner</c>.</summary>
    public static IReadOnlyCollection<int> MappedPartitions(IEnumerable<string> symbols, KafkaOptions kafka) =>
        symbols
            .Select(Contracts.Validation.SymbolName.Normalise)
            .OfType<string>()
            .Select(s =>
                KeyPartitioner.PartitionOf(
                    kafka.Partitioner,
                    Encoding.UTF8.GetBytes(s),
                    kafka.Topics.MarketTicks.Partitions
                )
            )
            .Distinct()
            .Order()
            .ToArray();

    // The oldest boundary a decision may still take the book at: every mapped partition's progress, less the
    // history kept and the idle timeout.
    private long Horizon()
    {
        if (Partitions.Any(p => !_through.ContainsKey(p)))
        {
            return long.MinValue;
        }

        return Partitions.Min(p => _through[p]) - (HistoryPerSymbol * _barMs) - _idleMs;
    }

    private static PositionEntry? Latest(List<PositionEntry> history, long asOfMs)
    {
        int low = 0,
            high = history.Count - 1,
            found = -1;
        while (low <= high)
        {
            var mid = (low + high) >>> 1;
            if (history[mid].BarEndMs <= asOfMs)
            {
                found = mid;
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }

        return found < 0 ? null : history[found];
    }

    private static Int128 Micros(double dollars) => (Int128)Math.Round(dollars * 1e6);

    private static double Dollars(Int128 micros) => (double)micros / 1e6;
}

/// <summary>The book one decision was checked against, as its forensics record carries it.</summary>
public sealed record BookView(long AsOfMs, IReadOnlyList<PositionEntry> Peers, IReadOnlyList<int> Missing)
{
    public void WriteTo(Contracts.Events.RiskInputs inputs)
    {
        inputs.book_as_of_ms = AsOfMs;
        inputs.book_peers =
        [
            .. Peers.Select(p => new Contracts.Events.BookPeer
            {
                symbol = p.Symbol,
                sector = p.Sector,
                bar_end_ms = p.BarEndMs,
                position_value = p.PositionValue,
                value = p.Value,
                decision_id = p.DecisionId,
            }),
        ];
        inputs.book_missing = Missing.Count == 0 ? null : [.. Missing];
    }
}
