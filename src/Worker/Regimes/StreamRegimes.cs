using Inference.Streaming.Engine.Regimes;
using Inference.Streaming.Engine.Symbols;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Regimes;

/// <summary>
/// The stream's regime source (<c>Regimes:Source</c>). With <see cref="RegimeSource.Detector"/> each
/// closed bar moves its symbol's regime on through the detector, right after the bar is folded into
/// the indicators and before its decision: the detector sees closed bars up to the current one and
/// nothing later. The symbol's indicator windows and regime are in the changelog snapshots, so a
/// restored symbol continues exactly where it stopped.
/// </summary>
public sealed class StreamRegimes(IOptions<RegimeOptions> options, RegimeDetectorCatalog catalog)
    : IRegimeDetectorSource
{
    public bool FromDetector { get; } = options.Value.Source == RegimeSource.Detector;

    /// <summary>Loads the detector when the stream runs it, so a bad one stops the start with its reason.</summary>
    public void EnsureLoaded()
    {
        if (FromDetector)
        {
            catalog.Load();
        }
    }

    /// <summary>The detector that would run now; null when regimes come from the topic.</summary>
    public RegimeDetectorInfo? Current => FromDetector ? catalog.Current.Info : null;

    /// <summary>Moves <paramref name="symbol"/>'s regime on after its bar closed; returns who computed it, null
    /// when regimes come from the topic.</summary>
    public RegimeDetectorInfo? Detect(SymbolFeatures symbol)
    {
        if (!FromDetector)
        {
            return null;
        }

        var detector = catalog.Current;
        symbol.Regime = detector.Detect(symbol.Indicators, symbol.Regime) ?? symbol.Regime;
        return detector.Info;
    }
}
