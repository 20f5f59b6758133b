using Inference.Streaming.Contracts.Validation;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Engine.Risk;

/// <summary><c>Risk:Sectors:&lt;SYMBOL&gt;</c>: the symbols it names form one book, grouped by sector.</summary>
public sealed class SectorMap
{
    public static readonly SectorMap Empty = new(new Dictionary<string, string>());

    private readonly Dictionary<string, string> _sectors;

    public SectorMap(IOptions<RiskOptions> options)
        : this(options.Value.Sectors) { }

    /// <summary>Keys are normalised by the stream's own symbol rule (<see cref="SymbolName"/>), so "aapl" maps
    /// AAPL.</summary>
    public SectorMap(IReadOnlyDictionary<string, string> sectors) =>
        // RiskOptions refuses keys that break the rule and keys named twice before this runs.
        _sectors = sectors
            .Select(s => (Symbol: SymbolName.Normalise(s.Key), Sector: s.Value.Trim()))
            .Where(s => s.Symbol is not null)
            .ToDictionary(s => s.Symbol!, s => s.Sector, StringComparer.Ordinal);

    /// <summary>The symbol's sector; null when the map does not name it.</summary>
    public string? SectorOf(string symbol) => _sectors.GetValueOrDefault(symbol);
}
