using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Regimes;
using Inference.Streaming.Engine.Simulation;

namespace Inference.Streaming.Trainer;

/// <summary>
/// One symbol's real bars for training (<c>train --bars</c>), up to a date, each with the regime that assigns it to
/// a specialist: the argmax of a detector run over the bars as the stream runs it (causal), or the file's labels.
/// Bars are built as the stream builds them from the row's four ticks (<see cref="BarTicks"/>).
/// </summary>
public sealed class HistoricalMarket
{
    private readonly Dictionary<int, List<int>> _starts = []; // by regime (-1: any)

    private HistoricalMarket(IReadOnlyList<Bar> bars, IReadOnlyList<MarketRegime> regimes, string description)
    {
        Bars = bars;
        Regimes = regimes;
        Description = description;
    }

    public IReadOnlyList<Bar> Bars { get; }

    /// <summary>The regime of each bar, as known at its close.</summary>
    public IReadOnlyList<MarketRegime> Regimes { get; }

    public string Description { get; }

    /// <summary>Reads <paramref name="path"/>'s rows that start before <paramref name="until"/>; regimes from
    /// <paramref name="detector"/>, or the <c>regime</c> labels when it is null.</summary>
    public static HistoricalMarket Read(string path, DateTimeOffset until, long intervalMs, IRegimeDetector? detector)
    {
        var rows = BarCsv.Read(path).Where(r => r.Bar.StartMs < until.ToUnixTimeMilliseconds()).ToList();
        if (rows.Select(r => r.Symbol).Distinct().Count() > 1)
        {
            throw new FormatException($"{path}: training takes one symbol's bars; the file has several");
        }

        var builder = new BarBuilder(intervalMs);
        var bars = new List<Bar>(rows.Count);
        foreach (var row in rows)
        {
            foreach (var (timeMs, price, size) in BarTicks.Of(row.Bar))
            {
                if (builder.Add(timeMs, price, size, out var closed) == TickOutcome.ClosedBar)
                {
                    bars.Add(closed);
                }
            }
        }

        if (builder.TryCloseAt(long.MaxValue, 0, out var last))
        {
            bars.Add(last);
        }

        IReadOnlyList<MarketRegime> regimes = detector is null
            ? [.. rows.Select(r => Of(r, path))]
            : [.. RegimeSeries.Run(detector, bars).Select(ArgmaxOf)];
        if (regimes.Count != bars.Count)
        {
            throw new FormatException($"{path}: {rows.Count} rows make {bars.Count} bars; labels need a bar per row");
        }

        var source = detector is null ? "the file's labels" : $"detector {detector.Info.Name}";
        return new HistoricalMarket(
            bars,
            regimes,
            $"{Path.GetFileName(path)} before {until:yyyy-MM-dd} ({bars.Count} bars, regimes from {source})"
        );
    }

    /// <summary>The bars an episode of <paramref name="regime"/> may start at: those of that regime (any for null)
    /// with <paramref name="warmup"/> bars before them; the agent first acts on the bar before.</summary>
    public IReadOnlyList<int> StartsFor(MarketRegime? regime, int warmup)
    {
        var key = regime is { } r ? (int)r : -1;
        if (!_starts.TryGetValue(key, out var starts))
        {
            starts =
            [
                .. Enumerable
                    .Range(warmup, Math.Max(0, Bars.Count - warmup))
                    .Where(i => regime is null || Regimes[i - 1] == regime),
            ];
            _starts[key] = starts;
        }

        return starts;
    }

    /// <summary>How many bars of each regime.</summary>
    public IReadOnlyDictionary<MarketRegime, int> Counts() =>
        Regimes.GroupBy(r => r).ToDictionary(g => g.Key, g => g.Count());

    private static MarketRegime ArgmaxOf(RegimeState regime) =>
        regime.Bull >= regime.Bear && regime.Bull >= regime.Sideways ? MarketRegime.Bull
        : regime.Bear >= regime.Sideways ? MarketRegime.Bear
        : MarketRegime.Sideways;

    // RegimeScores' label order is MarketRegime's: bull, bear, sideways.
    private static MarketRegime Of(CsvBar row, string path) =>
        RegimeScores.LabelIndex(row.Label) is >= 0 and var index
            ? (MarketRegime)index
            : throw new FormatException($"{path}:{row.Line}: no BULL, BEAR or SIDEWAYS label ('{row.Label}')");
}
