using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Risk;
using Inference.Streaming.Worker.State;

namespace Inference.Streaming.Benchmarks;

/// <summary>Managed bytes per symbol of warmed-up state (60 closed bars, an open bar, a regime), measured with the
/// GC.</summary>
internal static class StateSize
{
    public static void Run()
    {
        const int symbols = 10_000;
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var partition = new PartitionState(0, 1000, 100_000);
        for (var s = 0; s < symbols; s++)
        {
            var state = partition.GetOrAdd($"S{s:D5}");
            for (var t = 0; t < 61_000; t += 500)
            {
                if (state.Bars.Add(t, 100 + (t % 7), 10, out var bar) == TickOutcome.ClosedBar)
                {
                    state.Indicators.Add(bar);
                }
            }

            state.AddRegime(0, Engine.Regimes.RegimeState.Prior);
            state.ApplyRegimesBefore(1);
            partition.TrackOpenBar(state, state.Bars.OpenBar.EndMs);
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine(
            $"{symbols} symbols: {(after - before) / (double)symbols:F0} bytes of managed state per symbol (incl. "
                + "dictionary and open-bar queue entries)"
        );
        GC.KeepAlive(partition);
        BookSize();
    }

    /// <summary>The positions table's share (<c>Risk:Sectors</c>): a mapped symbol with a full history, its decision
    /// ids as the stream makes them (a GUID's 36 characters).</summary>
    private static void BookSize()
    {
        const int symbols = 200;
        var sectors = new SectorMap(
            Enumerable.Range(0, symbols).ToDictionary(s => $"S{s:D5}", s => s % 2 == 0 ? "tech" : "energy")
        );
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var book = new Worker.Fleet.PositionsBook(sectors, 1000, 86_400_000, [0]);
        for (var s = 0; s < symbols; s++)
        {
            for (var bar = 1; bar <= Worker.Fleet.PositionsBook.HistoryPerSymbol; bar++)
            {
                book.Record(
                    new Worker.Fleet.PositionEntry(
                        $"S{s:D5}",
                        sectors.SectorOf($"S{s:D5}")!,
                        bar * 1000L,
                        bar,
                        100_000 + bar,
                        Guid.NewGuid().ToString()
                    )
                );
            }
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine(
            $"positions table: {(after - before) / (double)symbols:F0} bytes per mapped symbol with its full history "
                + $"({Worker.Fleet.PositionsBook.HistoryPerSymbol} positions), "
                + $"{(after - before) / (double)symbols / Worker.Fleet.PositionsBook.HistoryPerSymbol:F0} per position"
        );
        GC.KeepAlive(book);
    }
}
