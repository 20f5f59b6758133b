using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Risk;

/// <summary><c>Risk:Sectors:&lt;SYMBOL&gt;</c>: the symbols it names form one book, grouped by sector.</summary>
public sealed class SectorMap
{
    public static readonly SectorMap Empty = new(new Dictionary<string, string>());

    private readonly Dictionary<string, string> _sectors;

    public SectorMap(IOptions<RiskOptions> options)
        : this(options.Value.Sectors)
    {
    }

    public SectorMap(IReadOnlyDictionary<string, string> sectors) =>
        // Symbols are upper-cased on the way in (SymbolName); configuration keys may be written either way.
        _sectors = sectors.ToDictionary(s => s.Key.Trim().ToUpperInvariant(), s => s.Value.Trim(), StringComparer.Ordinal);

    public bool IsEmpty => _sectors.Count == 0;

    /// <summary>The symbol's sector; null when the map does not name it.</summary>
    public string? SectorOf(string symbol) => _sectors.GetValueOrDefault(symbol);
}
