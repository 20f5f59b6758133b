using Inference.Streaming.Engine.Risk;
using Inference.Streaming.Worker.State;

namespace Inference.Streaming.Worker.UnitTests.State;

/// <summary>A partition's sector book (Risk:Sectors) as the stream keeps it, and as a restore rebuilds it.</summary>
public sealed class PartitionBookTests
{
    private static readonly SectorMap Tech = new(
        new Dictionary<string, string>
        {
            ["AAPL"] = "tech",
            ["msft"] = "tech",
            ["XOM"] = "energy",
        }
    );

    [Fact]
    public void APartitionsBookHoldsItsMappedSymbolsOnly()
    {
        var partition = new PartitionState(0, 60_000, 100_000, Tech);
        var (aapl, msft, xom, spy) = (
            partition.GetOrAdd("AAPL"),
            partition.GetOrAdd("MSFT"),
            partition.GetOrAdd("XOM"),
            partition.GetOrAdd("SPY")
        );

        Assert.Equal(SectorBook.Alone, partition.EnterBook(spy, new BookEntry(90_000, 100, 100)));
        partition.EnterBook(aapl, new BookEntry(80_000, 200, 100));
        partition.EnterBook(xom, new BookEntry(50_000, 500, 100));
        var seen = partition.EnterBook(msft, new BookEntry(70_000, 300, 100));

        // Energy's account is in the book (it is mapped), not in tech's positions; SPY is not in the book.
        Assert.Equal(new SectorBook("tech", 20_000, 200_000), seen);
        Assert.Null(spy.Book);

        // A newer close replaces the symbol's entry; an eviction takes it out.
        Assert.Equal(
            new SectorBook("tech", 30_000, 200_000),
            partition.EnterBook(aapl, new BookEntry(90_000, 100, 100))
        );
        partition.Evict(xom);
        Assert.Equal(
            new SectorBook("tech", 30_000, 100_000),
            partition.EnterBook(aapl, new BookEntry(90_000, 100, 100))
        );
    }

    [Fact]
    public void ARestoredPartitionSeesTheSameBook()
    {
        var original = new PartitionState(0, 60_000, 100_000, Tech);
        original.EnterBook(original.GetOrAdd("AAPL"), new BookEntry(80_000, 200.5, 101.25));
        original.EnterBook(original.GetOrAdd("XOM"), new BookEntry(50_000, 500, 99.5));

        var restored = new PartitionState(0, 60_000, 100_000, Tech);
        foreach (var symbol in original.Symbols.Values.Reverse())
        {
            restored.Restore(StateCodec.FromSnapshot(StateCodec.ToSnapshot(symbol, 0), 60_000, 100_000), long.MinValue);
        }

        // The same snapshot restored twice (a newer one replacing an older) counts once.
        restored.Restore(
            StateCodec.FromSnapshot(StateCodec.ToSnapshot(original.Symbols["AAPL"], 0), 60_000, 100_000),
            long.MinValue
        );
        var next = new BookEntry(70_000, 300, 100);
        Assert.Equal(
            original.EnterBook(original.GetOrAdd("MSFT"), next),
            restored.EnterBook(restored.GetOrAdd("MSFT"), next)
        );
    }
}
