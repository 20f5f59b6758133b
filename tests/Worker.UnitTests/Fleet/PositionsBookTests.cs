using Inference.Streaming.Engine.Risk;
using Inference.Streaming.Worker.Fleet;

namespace Inference.Streaming.Worker.UnitTests.Fleet;

/// <summary>The whole book as one instance holds it: positions as of a boundary, exact sums, progress.</summary>
public sealed class PositionsBookTests
{
    private const long Bar = 60_000;
    private const long Idle = 10 * Bar;

    private static readonly SectorMap Sectors = new(
        new Dictionary<string, string>
        {
            ["AAA"] = "tech",
            ["BBB"] = "tech",
            ["CCC"] = "energy",
        }
    );

    private static PositionsBook Book() => new(Sectors, Bar, Idle, [0, 1, 2]);

    private static PositionEntry Entry(string symbol, long barEnd, double position, double value) =>
        new(symbol, Sectors.SectorOf(symbol)!, barEnd, position, value, $"{symbol}-{barEnd}");

    [Fact]
    public void APeerCountsWithItsLatestPositionAtOrBeforeTheBoundaryAndNothingNewer()
    {
        var book = Book();
        book.Record(Entry("BBB", 1 * Bar, 100, 1_000));
        book.Record(Entry("BBB", 2 * Bar, 200, 2_000));
        book.Record(Entry("BBB", 4 * Bar, 400, 4_000));
        book.Record(Entry("CCC", 2 * Bar, 50, 500));

        var (seen, peers) = book.PeersOf("AAA", "tech", 3 * Bar);

        Assert.Equal(new SectorBook("tech", 200, 2_500), seen);
        Assert.Equal(["BBB-120000", "CCC-120000"], peers.Select(p => p.DecisionId));
        Assert.Equal(new SectorBook("tech", 0, 0), book.PeersOf("AAA", "tech", 0).Book);
    }

    [Fact]
    public void TheSymbolItselfAnUnmappedSymbolAndAnIdlePeerAreNotInItsBook()
    {
        var book = Book();
        book.Record(Entry("AAA", 2 * Bar, 999, 9_999));
        book.Record(new PositionEntry("ZZZ", "tech", 2 * Bar, 999, 9_999, "z"));
        book.Record(Entry("BBB", 2 * Bar, 200, 2_000));

        Assert.Equal(new SectorBook("tech", 200, 2_000), book.PeersOf("AAA", "tech", 2 * Bar).Book);
        // BBB's last position is an idle timeout old at this boundary: its owner has let it go.
        Assert.Empty(book.PeersOf("AAA", "tech", (2 * Bar) + Idle).Peers);
    }

    [Fact]
    public void SumsDoNotDependOnTheOrderPositionsArriveInAndARepeatIsOnePosition()
    {
        var random = new Random(5);
        var entries = Enumerable
            .Range(0, 300)
            .Select(i =>
                Entry(i % 2 == 0 ? "BBB" : "CCC", i / 2 * Bar, random.NextDouble() * 1e5, random.NextDouble() * 1e6)
            )
            .ToList();
        var forward = Book();
        var shuffled = Book();
        entries.ForEach(forward.Record);
        foreach (var entry in entries.OrderBy(_ => random.Next()).Concat(entries.Take(40)))
        {
            shuffled.Record(entry);
        }

        for (var boundary = 0L; boundary < 160 * Bar; boundary += 7 * Bar)
        {
            Assert.Equal(forward.PeersOf("AAA", "tech", boundary), shuffled.PeersOf("AAA", "tech", boundary), Same);
        }

        Assert.Equal(forward.Size(), shuffled.Size());
    }

    [Fact]
    public void ABookIsCompleteOnceEveryOtherMappedPartitionHasReportedTheBoundary()
    {
        var book = Book();
        Assert.False(book.IsComplete(own: 0, 5 * Bar));
        book.Advance(1, 5 * Bar);
        Assert.Equal([2], book.Behind(own: 0, 5 * Bar));
        // Progress the stage has queued ahead of the bar counts too.
        Assert.Empty(book.Behind(own: 0, 5 * Bar, new Dictionary<int, long> { [2] = 6 * Bar }));
        book.Advance(2, 5 * Bar);
        book.Advance(2, 3 * Bar);
        Assert.True(book.IsComplete(own: 0, 5 * Bar));
        Assert.Equal(5 * Bar, book.ThroughOf(2));
        Assert.False(book.IsComplete(own: 0, 6 * Bar));
        Assert.Equal([0], book.Behind(own: 1, 5 * Bar));
    }

    [Fact]
    public void AnEvictedSymbolStaysUntilNoDecisionCanLookItUpAndKeepsABoundedHistory()
    {
        var book = Book();
        for (var bar = 1; bar <= PositionsBook.HistoryPerSymbol + 10; bar++)
        {
            book.Record(Entry("BBB", bar * Bar, bar, bar));
        }

        Assert.Equal((1, PositionsBook.HistoryPerSymbol), book.Size());
        book.Forget("BBB");
        Assert.Equal(1, book.Size().Symbols);

        var far = (PositionsBook.HistoryPerSymbol + 10) * Bar + (PositionsBook.HistoryPerSymbol * Bar) + Idle + Bar;
        foreach (var partition in book.Partitions)
        {
            book.Advance(partition, far);
        }

        book.Forget("BBB");
        Assert.Equal(0, book.Size().Symbols);
    }

    private static readonly EqualityComparer<(SectorBook Book, List<PositionEntry> Peers)> Same = EqualityComparer<(
        SectorBook,
        List<PositionEntry>
    )>.Create((a, b) => a.Item1 == b.Item1 && a.Item2.SequenceEqual(b.Item2), x => x.Item1.GetHashCode());
}

/// <summary>The book's alignment needs bars to close in order across a partition.</summary>
public sealed class BookSettingsValidatorTests
{
    [Theory]
    [InlineData(2_000, 1_000, true)]
    [InlineData(1_000, 1_000, true)]
    [InlineData(500, 1_000, false)]
    public void ASectorMapNeedsALateToleranceShorterThanABar(int toleranceMs, int barMs, bool refused)
    {
        var features = new Engine.Features.FeatureOptions
        {
            LateTolerance = TimeSpan.FromMilliseconds(toleranceMs),
            BarInterval = TimeSpan.FromMilliseconds(barMs),
        };
        var validator = new BookSettingsValidator(Microsoft.Extensions.Options.Options.Create(features));
        var mapped = new RiskOptions { Sectors = new() { ["AAA"] = "tech" } };

        Assert.Equal(refused, validator.Validate(null, mapped).Failed);
        Assert.False(validator.Validate(null, new RiskOptions()).Failed);
    }
}
