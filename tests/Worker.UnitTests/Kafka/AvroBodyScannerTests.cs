using Avro.IO;
using Avro.Specific;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Tests;
using Inference.Streaming.Worker.Kafka;

namespace Inference.Streaming.Worker.UnitTests.Kafka;

public sealed class AvroBodyScannerTests
{
    private static readonly DateTimeOffset Time = new(2026, 1, 5, 14, 30, 0, TimeSpan.Zero);

    [Fact]
    public void EveryContractRecordPassesAndDecodes()
    {
        var tick = new MarketTick
        {
            symbol = "AAPL",
            event_time = Time.UtcDateTime,
            price = 187.5,
            size = 3,
            bid = 187.4,
            sequence = 42,
        };
        var body = Encode(tick);

        new AvroBodyScanner(tick.Schema).Scan(body);

        Assert.Equal(tick.price, Decode(tick.Schema.ToString(), body).price);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(AvroBodyScanner.MaxDepth / 2 - 1)] // a level is a union and a record
    public void AShallowBodyOfARecursiveSchemaIsWithinTheLimits(int depth) =>
        new AvroBodyScanner(Avro.Schema.Parse(HostileAvro.RecursiveThroughUnion)).Scan(
            HostileAvro.NestedThroughUnion("AAPL", Time, depth)
        );

    [Fact]
    public void ARecursiveWriterSchemaIsNamedWithThePathBackToItself()
    {
        // Apache Avro cannot even build a reader that skips a recursive field: it recurses until the stack ends.
        Assert.Equal(
            "MarketTick.child -> MarketTick",
            AvroBodyScanner.Recursion(Avro.Schema.Parse(HostileAvro.RecursiveThroughUnion))
        );
        Assert.Equal(
            "MarketTick.children -> MarketTick",
            AvroBodyScanner.Recursion(Avro.Schema.Parse(HostileAvro.RecursiveThroughArray))
        );
        Assert.Null(AvroBodyScanner.Recursion(new MarketTick().Schema));
        Assert.Null(AvroBodyScanner.Recursion(new DecisionForensics().Schema));
        Assert.Null(AvroBodyScanner.Recursion(Avro.Schema.Parse(HostileAvro.ArrayOfEmptyRecords)));
    }

    public static TheoryData<string, byte[], DecodeFailure, string> Refused()
    {
        const long TwoTo62 = 1L << 62;
        return new()
        {
            // A stack overflow in a trusting reader, through a union and through an array.
            {
                HostileAvro.RecursiveThroughUnion,
                HostileAvro.NestedThroughUnion("AAPL", Time, 40_000),
                DecodeFailure.DecodeLimit,
                "deeper than 32"
            },
            {
                HostileAvro.RecursiveThroughArray,
                HostileAvro.NestedThroughArray("AAPL", Time, 40_000),
                DecodeFailure.DecodeLimit,
                "deeper than 32"
            },
            // A loop without end in a trusting reader: items that take no bytes.
            {
                HostileAvro.ArrayOfNulls,
                HostileAvro.ClaimingItems("AAPL", Time, TwoTo62),
                DecodeFailure.DecodeLimit,
                "more than"
            },
            {
                HostileAvro.ArrayOfEmptyRecords,
                HostileAvro.ClaimingItems("AAPL", Time, 5_000),
                DecodeFailure.DecodeLimit,
                "more than"
            },
            {
                HostileAvro.ArrayOfNulls,
                HostileAvro.ClaimingItems("AAPL", Time, -TwoTo62),
                DecodeFailure.DecodeLimit,
                "more than"
            },
            // Items that take bytes: the count is checked against the bytes left.
            {
                HostileAvro.MapOfNulls,
                HostileAvro.ClaimingItems("AAPL", Time, TwoTo62),
                DecodeFailure.DecodeLimit,
                "bytes left"
            },
            {
                HostileAvro.ExtraString,
                HostileAvro.ClaimingItems("AAPL", Time, 1L << 40),
                DecodeFailure.Malformed,
                "longer than"
            },
            { HostileAvro.ExtraString, HostileAvro.Fields("AAPL", Time)[..6], DecodeFailure.Malformed, "byte" },
        };
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public void ABodyPastALimitIsRefusedWithItsReasonBeforeAnythingDecodes(
        string writer,
        byte[] body,
        DecodeFailure reason,
        string detail
    )
    {
        var error = Assert.Throws<AvroBodyException>(() => new AvroBodyScanner(Avro.Schema.Parse(writer)).Scan(body));

        Assert.Equal(reason, error.Reason);
        Assert.Contains(detail, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ABlockCountNearLongMaxAfterAnotherBlockIsAnItemLimitNotAWrappedSum()
    {
        // Five nulls, then a block that claims long.MaxValue more: the running total would wrap negative.
        var body = new List<byte>(HostileAvro.Fields("AAPL", Time));
        HostileAvro.Long(body, 5);
        HostileAvro.Long(body, long.MaxValue);
        body.Add(0);

        var error = Assert.Throws<AvroBodyException>(() =>
            new AvroBodyScanner(Avro.Schema.Parse(HostileAvro.ArrayOfNulls)).Scan([.. body])
        );

        Assert.Equal(DecodeFailure.DecodeLimit, error.Reason);
        Assert.Contains("collections hold more than", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ZeroWidthItemsWithinTheAllowanceDecode()
    {
        var body = HostileAvro.ClaimingItems("AAPL", Time, 100);

        new AvroBodyScanner(Avro.Schema.Parse(HostileAvro.ArrayOfNulls)).Scan(body);

        Assert.Equal("AAPL", Decode(HostileAvro.ArrayOfNulls, body).symbol);
    }

    private static byte[] Encode(MarketTick tick)
    {
        using var stream = new MemoryStream();
        new SpecificDatumWriter<MarketTick>(tick.Schema).Write(tick, new BinaryEncoder(stream));
        return stream.ToArray();
    }

    private static MarketTick Decode(string writer, byte[] body)
    {
        using var stream = new MemoryStream(body);
        return new SpecificDatumReader<MarketTick>(Avro.Schema.Parse(writer), new MarketTick().Schema).Read(
            null!,
            new BinaryDecoder(stream)
        );
    }
}
