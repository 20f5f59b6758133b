using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;
using Inference.Streaming.Engine.Features;

namespace Inference.Streaming.Engine.Regimes;

/// <summary>One row of a bar file: the bar, its date as written, and its label when the file has one.</summary>
public sealed record CsvBar(string Date, Bar Bar, string? Label)
{
    /// <summary>The row's <c>symbol</c> column; null when the file has none (one symbol per file).</summary>
    public string? Symbol { get; init; }

    /// <summary>The line the row ends on (1 is the header).</summary>
    public long Line { get; init; }

    /// <summary>The row's <c>bull, bear, sideways</c> columns as a regime update would carry them; null when the
    /// file has none.</summary>
    public RegimeState? Regime { get; init; }
}

/// <summary>
/// Reads one symbol's bars from CSV with a header naming at least <c>date, open, high, low, close,
/// volume</c> (any order, other columns ignored; a <c>regime</c> column is read as the label, a <c>symbol</c> column
/// as the row's symbol, and <c>bull, bear, sideways</c> columns as regime probabilities). Dates
/// are ISO 8601 (a bare date is UTC midnight); bars must be in time order (per symbol with a <c>symbol</c>
/// column). A bad row is refused
/// with its line number. Parsed as RFC 4180 by CsvHelper: quoted fields (commas and line breaks
/// inside them), CRLF or LF line ends and a UTF-8 byte-order mark are read as a spreadsheet writes them.
/// </summary>
public static class BarCsv
{
    private static readonly string[] Required = ["date", "open", "high", "low", "close", "volume"];

    public static IReadOnlyList<CsvBar> Read(string path)
    {
        using var reader = new StreamReader(path);
        return Read(reader, path);
    }

    public static IReadOnlyList<CsvBar> Read(TextReader reader, string source)
    {
        var configuration = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            IgnoreBlankLines = true,
            TrimOptions = TrimOptions.Trim,
            BadDataFound = null,
        };
        using var csv = new CsvParser(reader, configuration, leaveOpen: true);
        if (!csv.Read())
        {
            throw new FormatException($"{source}: the file is empty");
        }

        // Spreadsheets often save UTF-8 with a byte-order mark; it is not part of the first column's name.
        var names = csv.Record!.Select(n => n.TrimStart('\uFEFF').Trim().ToLowerInvariant()).ToList();
        var missing = Required.Where(r => !names.Contains(r)).ToList();
        if (missing.Count > 0)
        {
            throw new FormatException($"{source}:1: the header lacks {string.Join(", ", missing)}");
        }

        var at = Required.Select(r => names.IndexOf(r)).ToArray();
        var label = names.IndexOf("regime");
        var symbolAt = names.IndexOf("symbol");
        int[] probabilitiesAt = [names.IndexOf("bull"), names.IndexOf("bear"), names.IndexOf("sideways")];
        var hasProbabilities = probabilitiesAt.All(i => i >= 0);
        if (!hasProbabilities && probabilitiesAt.Any(i => i >= 0))
        {
            throw new FormatException($"{source}:1: regime probabilities need all three of bull, bear and sideways");
        }

        var bars = new List<CsvBar>();
        var previousMs = new Dictionary<string, long>(StringComparer.Ordinal);
        while (csv.Read())
        {
            // The line the record ends on (a quoted field may span lines).
            var line = csv.RawRow;
            var cells = csv.Record!;
            if (cells.Length < names.Count)
            {
                throw new FormatException($"{source}:{line}: {cells.Length} columns, the header has {names.Count}");
            }

            if (
                !DateTimeOffset.TryParse(
                    cells[at[0]].Trim(),
                    CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal,
                    out var date
                )
            )
            {
                throw new FormatException($"{source}:{line}: '{cells[at[0]]}' is not a date");
            }

            var values = new double[5];
            for (var i = 0; i < 5; i++)
            {
                var cell = cells[at[i + 1]].Trim();
                if (
                    !double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out values[i])
                    || !double.IsFinite(values[i])
                )
                {
                    throw new FormatException($"{source}:{line}: {Required[i + 1]} '{cell}' is not a finite number");
                }
            }

            var (open, high, low, close, volume) = (values[0], values[1], values[2], values[3], values[4]);
            if (open <= 0 || high <= 0 || low <= 0 || close <= 0 || volume < 0)
            {
                throw new FormatException($"{source}:{line}: prices must be positive and the volume not negative");
            }

            if (high < Math.Max(open, close) || low > Math.Min(open, close))
            {
                throw new FormatException($"{source}:{line}: high and low do not bound open and close");
            }

            var symbol = symbolAt >= 0 ? cells[symbolAt].Trim() : null;
            if (symbol is { Length: 0 })
            {
                throw new FormatException($"{source}:{line}: the symbol is empty");
            }

            var ms = date.ToUnixTimeMilliseconds();
            if (ms <= previousMs.GetValueOrDefault(symbol ?? "", long.MinValue))
            {
                throw new FormatException(
                    $"{source}:{line}: {cells[at[0]]} is not after the previous row's date"
                        + (symbol is null ? string.Empty : $" for {symbol}")
                );
            }

            previousMs[symbol ?? ""] = ms;
            var bar = new Bar(ms, ms, open, high, low, close, volume, 1);
            bars.Add(
                new CsvBar(cells[at[0]].Trim(), bar, label >= 0 ? cells[label].Trim() : null)
                {
                    Symbol = symbol,
                    Line = line,
                    Regime = hasProbabilities ? Probabilities(cells, probabilitiesAt, source, line) : null,
                }
            );
        }

        return bars;
    }

    private static RegimeState Probabilities(string[] cells, int[] at, string source, long line)
    {
        var values = new double[3];
        for (var i = 0; i < 3; i++)
        {
            if (!double.TryParse(cells[at[i]].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]))
            {
                throw new FormatException($"{source}:{line}: '{cells[at[i]].Trim()}' is not a regime probability");
            }
        }

        return RegimeState.TryCreate(values[0], values[1], values[2], null, out var problem)
            ?? throw new FormatException($"{source}:{line}: {problem}");
    }

    /// <summary>The smallest gap between two rows of one symbol, in milliseconds; null for a file of one row per
    /// symbol. A bar file's bar interval unless told otherwise.</summary>
    public static long? SmallestGapMs(IReadOnlyList<CsvBar> rows)
    {
        long? smallest = null;
        foreach (var group in rows.GroupBy(r => r.Symbol ?? ""))
        {
            long previous = long.MinValue;
            foreach (var row in group)
            {
                if (previous != long.MinValue)
                {
                    var gap = row.Bar.StartMs - previous;
                    smallest = smallest is { } s && s <= gap ? s : gap;
                }

                previous = row.Bar.StartMs;
            }
        }

        return smallest;
    }
}
