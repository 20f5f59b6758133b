namespace Inference.Streaming.Engine.Risk;

/// <summary>
/// What the concentration check sees beyond the symbol's own paper account: its sector, and the
/// other positions of that sector and the other accounts of the book it belongs to (the symbols
/// that <c>Risk:Sectors</c> maps, on the same input partition). <see cref="Alone"/> (no sector) is
/// a symbol the map does not name: its own sector and its own book, as in the seed.
/// </summary>
public readonly record struct SectorBook(string? Sector, double PeerPositionValue, double PeerBookValue)
{
    public static SectorBook Alone => default;
}

/// <summary>A mapped symbol's share of its book: its paper portfolio at its latest closed bar, before that bar's
/// decision.</summary>
public readonly record struct BookEntry(double Cash, double Shares, double Close)
{
    public double Position => Shares * Close;

    public double Value => Cash + Position;
}

/// <summary>
/// The book's totals, kept exactly: values are summed as whole micro-units in 128-bit integers, so
/// the totals do not depend on the order entries were added or removed in, and a restored
/// partition sums to the same totals as one that never stopped.
/// </summary>
public sealed class BookTotals
{
    private readonly Dictionary<string, Int128> _positions = new(StringComparer.Ordinal);
    private Int128 _value;

    public void Add(string sector, BookEntry entry)
    {
        _value += Micros(entry.Value);
        _positions[sector] = _positions.GetValueOrDefault(sector) + Micros(entry.Position);
    }

    public void Remove(string sector, BookEntry entry)
    {
        _value -= Micros(entry.Value);
        var left = _positions.GetValueOrDefault(sector) - Micros(entry.Position);
        if (left == 0)
        {
            _positions.Remove(sector);
        }
        else
        {
            _positions[sector] = left;
        }
    }

    /// <summary>The book as <paramref name="own"/> (already added) sees it: everything else in it.</summary>
    public SectorBook PeersOf(string sector, BookEntry own) =>
        new(
            sector,
            Dollars(_positions.GetValueOrDefault(sector) - Micros(own.Position)),
            Dollars(_value - Micros(own.Value))
        );

    private static Int128 Micros(double dollars) => (Int128)Math.Round(dollars * 1e6);

    private static double Dollars(Int128 micros) => (double)micros / 1e6;
}
