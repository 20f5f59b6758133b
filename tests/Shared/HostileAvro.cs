using System.Text;

namespace Inference.Streaming.Tests;

/// <summary>
/// Writer schemas a registry accepts as BACKWARD-compatible evolutions of MarketTick (one more field
/// with a default, which a reader skips), and bodies under them that a trusting Avro reader cannot
/// finish: nesting that overflows its stack, block counts of items that take no bytes, lengths for
/// bytes that are not there. Each body starts with one honest tick's fields.
/// </summary>
internal static class HostileAvro
{
    private const string TickFields = """
        { "name": "symbol", "type": "string" },
        { "name": "event_time", "type": { "type": "long", "logicalType": "timestamp-millis" } },
        { "name": "price", "type": "double" },
        { "name": "size", "type": "double" },
        { "name": "bid", "type": ["null", "double"], "default": null },
        { "name": "ask", "type": ["null", "double"], "default": null },
        { "name": "sequence", "type": ["null", "long"], "default": null }
        """;

    /// <summary>MarketTick with <paramref name="extraField"/> (JSON of one field) after its own.</summary>
    public static string TickWith(string extraField) =>
        "{ \"type\": \"record\", \"name\": \"MarketTick\", \"namespace\": \"Inference.Streaming.Contracts.Events\", "
        + $"\"fields\": [ {TickFields}, {extraField} ] }}";

    /// <summary>A field whose type refers back to MarketTick through a union.</summary>
    public static string RecursiveThroughUnion { get; } =
        TickWith("{ \"name\": \"child\", \"type\": [\"null\", \"MarketTick\"], \"default\": null }");

    /// <summary>A field whose type refers back to MarketTick through an array.</summary>
    public static string RecursiveThroughArray { get; } =
        TickWith(
            "{ \"name\": \"children\", \"type\": { \"type\": \"array\", \"items\": \"MarketTick\" }, \"default\": [] }"
        );

    /// <summary>An array of nulls: items that take no bytes.</summary>
    public static string ArrayOfNulls { get; } =
        TickWith("{ \"name\": \"nulls\", \"type\": { \"type\": \"array\", \"items\": \"null\" }, \"default\": [] }");

    /// <summary>An array of a record with no fields: items that take no bytes either.</summary>
    public static string ArrayOfEmptyRecords { get; } =
        TickWith(
            "{ \"name\": \"nothings\", \"type\": { \"type\": \"array\", \"items\": "
                + "{ \"type\": \"record\", \"name\": \"Nothing\", \"fields\": [] } }, \"default\": [] }"
        );

    /// <summary>A map of nulls: each entry takes at least its key's length byte.</summary>
    public static string MapOfNulls { get; } =
        TickWith("{ \"name\": \"entries\", \"type\": { \"type\": \"map\", \"values\": \"null\" }, \"default\": {} }");

    /// <summary>A string field, for lengths that claim more bytes than the record has.</summary>
    public static string ExtraString { get; } =
        TickWith("{ \"name\": \"note\", \"type\": \"string\", \"default\": \"\" }");

    /// <summary>The honest fields of one tick (no bid, ask or sequence).</summary>
    public static byte[] Fields(string symbol, DateTimeOffset time, double price = 100, double size = 1)
    {
        var body = new List<byte>();
        Long(body, Encoding.UTF8.GetByteCount(symbol));
        body.AddRange(Encoding.UTF8.GetBytes(symbol));
        Long(body, time.ToUnixTimeMilliseconds());
        body.AddRange(BitConverter.GetBytes(price));
        body.AddRange(BitConverter.GetBytes(size));
        body.AddRange([0, 0, 0]);
        return [.. body];
    }

    /// <summary>Under <see cref="RecursiveThroughUnion"/>: a tick whose child is a tick, <paramref name="depth"/>
    /// deep.</summary>
    public static byte[] NestedThroughUnion(string symbol, DateTimeOffset time, int depth)
    {
        var level = Fields(symbol, time);
        var body = new List<byte>((level.Length + 1) * (depth + 1));
        for (var i = 0; i < depth; i++)
        {
            body.AddRange(level);
            body.Add(2); // union branch 1: MarketTick
        }

        body.AddRange(level);
        body.Add(0); // union branch 0: null
        return [.. body];
    }

    /// <summary>Under <see cref="RecursiveThroughArray"/>: a tick with one child, <paramref name="depth"/>
    /// deep.</summary>
    public static byte[] NestedThroughArray(string symbol, DateTimeOffset time, int depth)
    {
        var level = Fields(symbol, time);
        var body = new List<byte>((level.Length + 2) * (depth + 1));
        for (var i = 0; i < depth; i++)
        {
            body.AddRange(level);
            body.Add(2); // a block of one item
        }

        body.AddRange(level);
        body.Add(0); // the innermost tick's empty array
        for (var i = 0; i < depth; i++)
        {
            body.Add(0); // each level's array ends
        }

        return [.. body];
    }

    /// <summary>A tick followed by one block that claims <paramref name="count"/> items and nothing after.</summary>
    public static byte[] ClaimingItems(string symbol, DateTimeOffset time, long count)
    {
        var body = new List<byte>(Fields(symbol, time));
        Long(body, count);
        body.Add(0);
        return [.. body];
    }

    /// <summary>The Confluent wire format: magic byte, schema id, body.</summary>
    public static byte[] Wire(int schemaId, byte[] body)
    {
        var bytes = new byte[5 + body.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(1, 4), schemaId);
        body.CopyTo(bytes, 5);
        return bytes;
    }

    /// <summary>Avro's zig-zag varint.</summary>
    public static void Long(List<byte> body, long value)
    {
        var zigzag = (ulong)((value << 1) ^ (value >> 63));
        while (zigzag >= 0x80)
        {
            body.Add((byte)(zigzag | 0x80));
            zigzag >>= 7;
        }

        body.Add((byte)zigzag);
    }
}
