using System.Text;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Regimes;
using Inference.Streaming.Engine.Risk;
using Inference.Streaming.Worker.Fleet;
using Inference.Streaming.Worker.State;

namespace Inference.Streaming.Worker.UnitTests.Fleet;

/// <summary>The fleet's read model: the record a replica reads holds the owner's bits, and the directory keeps
/// bars in order whichever way they arrive (the owner's own, a replica's echo, a new owner's re-decided
/// bars).</summary>
public sealed class FleetReadModelTests
{
    private static ObservationSnapshot Snapshot(string symbol, long endMs, float first = 0.25f) =>
        new(
            symbol,
            2,
            new Bar(endMs - 60_000, endMs, 100.125, 101.5, 99.75, 100.5, 1234.5, 17),
            [first, .. Enumerable.Range(1, Observation.Width - 1).Select(i => MathF.BitIncrement(i / 7f))],
            RegimeState.FromProbabilities(0.6, 0.1, 0.3),
            12_345.678901234,
            3.000000001,
            100_000,
            20_000,
            99_999.5
        )
        {
            Book = new SectorBook("tech", 1_000.5, 50_000.25),
            Instance = "worker-7",
        };

    [Fact]
    public void ARecordRoundTripsBitForBit()
    {
        var original = Snapshot("AAPL", 1_700_000_060_000);
        var restored = ObservationCodec.FromRecord(
            ObservationCodec.ToRecord(original, "worker-7"),
            Observation.Width,
            out var problem
        );

        Assert.Null(problem);
        Assert.NotNull(restored);
        Assert.Equal(original.Features, restored.Features);
        Assert.Equal(original with { Features = restored.Features }, restored);
    }

    [Theory]
    [InlineData("width")]
    [InlineData("bar")]
    [InlineData("nan-feature")]
    [InlineData("infinite-cash")]
    public void AnUnusableRecordIsRefusedWithItsReason(string fault)
    {
        var record = ObservationCodec.ToRecord(Snapshot("AAPL", 1_700_000_060_000), "worker-7");
        var expected = fault switch
        {
            "width" => "features",
            "bar" => "ends before it starts",
            "nan-feature" => "non-finite feature",
            _ => "non-finite portfolio",
        };
        switch (fault)
        {
            case "width":
                record.features.RemoveAt(0);
                break;
            case "bar":
                record.bar.end_ms = record.bar.start_ms;
                break;
            case "nan-feature":
                record.features[5] = float.NaN;
                break;
            default:
                record.cash = double.PositiveInfinity;
                break;
        }

        Assert.Null(ObservationCodec.FromRecord(record, Observation.Width, out var problem));
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void TheDirectoryKeepsBarsInOrderReplacesTheSameBarAndDropsWhatIsTooOld()
    {
        var directory = new SymbolDirectory();
        const long minute = 60_000;
        for (var i = 1; i <= SymbolDirectory.Depth; i++)
        {
            directory.Publish(Snapshot("MSFT", i * minute));
        }

        // A new owner re-decides bar 5 after its restore (the same bar: replaced), a bar older than the oldest kept
        // arrives late (dropped), and the echo of the latest is no new bar.
        directory.Publish(Snapshot("MSFT", 5 * minute, first: 0.5f));
        directory.Publish(Snapshot("MSFT", SymbolDirectory.Depth * minute));
        var latest = directory.Find("MSFT", null, out var known);
        Assert.True(known);
        Assert.Equal(SymbolDirectory.Depth * minute, latest!.Bar.EndMs);
        Assert.Equal(
            0.5f,
            directory.Find("MSFT", DateTimeOffset.FromUnixTimeMilliseconds(5 * minute - 1), out _)!.Features[0]
        );

        directory.Publish(Snapshot("MSFT", 20 * minute));
        directory.Publish(Snapshot("MSFT", 0));
        Assert.Null(directory.Find("MSFT", DateTimeOffset.FromUnixTimeMilliseconds(minute - 1), out _));
        Assert.Equal(
            (DateTimeOffset.FromUnixTimeMilliseconds(minute), DateTimeOffset.FromUnixTimeMilliseconds(20 * minute)),
            directory.Span("MSFT")
        );

        // A bar between two kept ones goes in its place.
        directory.Publish(Snapshot("MSFT", 15 * minute));
        Assert.Equal(
            15 * minute,
            directory.Find("MSFT", DateTimeOffset.FromUnixTimeMilliseconds(15 * minute - 1), out _)!.Bar.EndMs
        );
        Assert.Equal(2, directory.PartitionOf("MSFT"));
        Assert.Equal(1, directory.Count);
    }

    [Theory]
    [InlineData(
        "{\"command\":\"promote\",\"id\":\"a\",\"issued_by\":\"w\",\"issued_at\":\"2026-01-01T00:00:00Z\"}",
        "promotions count"
    )]
    [InlineData(
        "{\"command\":\"drop-tables\",\"id\":\"a\",\"issued_by\":\"w\",\"issued_at\":\"2026-01-01T00:00:00Z\"}",
        "unknown command"
    )]
    [InlineData(
        "{\"version\":2,\"command\":\"reload\",\"id\":\"a\",\"issued_by\":\"w\","
            + "\"issued_at\":\"2026-01-01T00:00:00Z\"}",
        "version 2"
    )]
    [InlineData("not json", "not a control command")]
    [InlineData("null", "empty record")]
    public void AControlRecordThisVersionCannotApplyIsRefusedByReason(string json, string reason)
    {
        Assert.Null(ControlCommand.Parse(Encoding.UTF8.GetBytes(json), out var problem));
        Assert.Contains(reason, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void APromotionIsCompactedUnderOneKeyAndRoundTrips()
    {
        var command = new ControlCommand(ControlCommand.Promote, "id-1", "worker-2", DateTimeOffset.UnixEpoch)
        {
            Promotions = 3,
        };
        var parsed = ControlCommand.Parse(command.ToBytes(), out var problem);
        Assert.Null(problem);
        Assert.Equal(command, parsed);
        Assert.Equal("roles", command.Key);
        Assert.Equal("reload", (command with { Command = ControlCommand.Reload }).Key);
    }
}
