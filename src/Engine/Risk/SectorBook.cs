namespace Inference.Streaming.Engine.Risk;

/// <summary>
/// What the concentration check sees beyond the symbol's own paper account: its sector, and the
/// other positions of that sector and the other accounts of the book it belongs to (every symbol
/// <c>Risk:Sectors</c> maps, whichever partition or instance decides it). <see cref="Alone"/> (no sector) is
/// a symbol the map does not name: its own sector and its own book, as in the seed.
/// </summary>
public readonly record struct SectorBook(string? Sector, double PeerPositionValue, double PeerBookValue)
{
    public static SectorBook Alone => default;
}
