using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Regimes;
using Inference.Streaming.Engine.Risk;
using Inference.Streaming.Worker.State;

namespace Inference.Streaming.Worker.Fleet;

/// <summary>
/// An <see cref="ObservationSnapshot"/> as its <c>symbol-observations</c> record and back, exactly: doubles
/// travel as Avro doubles and the row as float32, so a replica scores the bits the owner scored.
/// </summary>
public static class ObservationCodec
{
    public static SymbolObservation ToRecord(ObservationSnapshot snapshot, string instance) =>
        new()
        {
            symbol = snapshot.Symbol,
            partition = snapshot.Partition,
            instance = instance,
            bar = new ObservedBar
            {
                start_ms = snapshot.Bar.StartMs,
                end_ms = snapshot.Bar.EndMs,
                open = snapshot.Bar.Open,
                high = snapshot.Bar.High,
                low = snapshot.Bar.Low,
                close = snapshot.Bar.Close,
                volume = snapshot.Bar.Volume,
                ticks = snapshot.Bar.Ticks,
            },
            features = [.. snapshot.Features],
            regime = new ObservedRegime
            {
                bull = snapshot.Regime.Bull,
                bear = snapshot.Regime.Bear,
                sideways = snapshot.Regime.Sideways,
                entropy = snapshot.Regime.Entropy,
            },
            cash = snapshot.Cash,
            shares = snapshot.Shares,
            initial_capital = snapshot.InitialCapital,
            day = snapshot.Day,
            day_open_value = snapshot.DayOpenValue,
            book = new ObservedBook
            {
                sector = snapshot.Book.Sector,
                peer_position_value = snapshot.Book.PeerPositionValue,
                peer_book_value = snapshot.Book.PeerBookValue,
            },
        };

    /// <summary>The snapshot a record holds, or why it cannot be used (a row of the wrong width, a bar that ends
    /// before it starts, non-finite numbers): the replica skips such a record and counts it.</summary>
    public static ObservationSnapshot? FromRecord(SymbolObservation record, int width, out string? problem)
    {
        problem =
            record.features is null || record.features.Count != width
                ? $"a row of {record.features?.Count ?? 0} features (the layout has {width})"
            : record.bar is null || record.regime is null || record.book is null ? "a missing bar, regime or book"
            : record.bar.end_ms <= record.bar.start_ms ? "a bar that ends before it starts"
            : !record.features.All(float.IsFinite) ? "a non-finite feature"
            : !double.IsFinite(record.cash + record.shares + record.initial_capital + record.day_open_value)
                ? "a non-finite portfolio"
            : null;
        if (problem is not null)
        {
            return null;
        }

        var bar = record.bar!;
        return new ObservationSnapshot(
            record.symbol,
            record.partition,
            new Bar(bar.start_ms, bar.end_ms, bar.open, bar.high, bar.low, bar.close, bar.volume, bar.ticks),
            [.. record.features!],
            new RegimeState(record.regime!.bull, record.regime.bear, record.regime.sideways, record.regime.entropy),
            record.cash,
            record.shares,
            record.initial_capital,
            record.day,
            record.day_open_value
        )
        {
            Book = new SectorBook(record.book!.sector, record.book.peer_position_value, record.book.peer_book_value),
            Instance = record.instance,
        };
    }
}
