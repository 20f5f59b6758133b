using System.Text;
using Avro;
using Avro.IO;
using Avro.Specific;
using Confluent.SchemaRegistry;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Worker.Embedded.SchemaRegistry;
using Inference.Streaming.Worker.Kafka;

namespace Inference.Streaming.Worker.UnitTests.Kafka;

/// <summary>
/// <see cref="AvroRecordDecoder"/> against Apache Avro's own <see cref="SpecificDatumReader{T}"/>: the same values
/// (or the same refusal) for bodies written by Apache Avro's writer from random records, and for random bodies the
/// scanner accepts, whose strings are any bytes at all.
/// </summary>
public sealed class AvroRecordDecoderTests
{
    private static readonly RecordSchema TickSchema = (RecordSchema)new MarketTick().Schema;
    private static readonly AvroRecordDecoder.Plan<MarketTick> TickPlan = AvroRecordDecoder.Compile<MarketTick>(
        TickSchema
    );

    // The same schema into a class without properties: every value goes through ISpecificRecord.Put.
    private static readonly AvroRecordDecoder.Plan<UntypedTick> UntypedPlan = AvroRecordDecoder.Compile<UntypedTick>(
        TickSchema
    );

    [Fact]
    public void EveryFieldOfTheInputContractsIsSetThroughItsTypedPropertyAndAClassWithoutThemThroughPut()
    {
        var regimes = (RecordSchema)new RegimeUpdate().Schema;

        Assert.All(TickPlan.Setters, Assert.NotNull);
        Assert.All(AvroRecordDecoder.Compile<RegimeUpdate>(regimes).Setters, Assert.NotNull);
        Assert.All(UntypedPlan.Setters, Assert.Null);
    }

    [Fact]
    public void TheInputContractsAreReadInPlaceAndAWriterSchemaThatDiffersIsNot()
    {
        Assert.True(AvroRecordDecoder.Supports(TickSchema, TickSchema));
        Assert.True(AvroRecordDecoder.Supports(new RegimeUpdate().Schema, new RegimeUpdate().Schema));
        var json = TickSchema.ToString();
        var documented = Avro.Schema.Parse(json.Replace("Trade price; finite and positive.", "Trade price."));
        var reordered = Avro.Schema.Parse(
            json.Replace("\"name\":\"price\"", "\"name\":\"tmp\"")
                .Replace("\"name\":\"size\"", "\"name\":\"price\"")
                .Replace("\"name\":\"tmp\"", "\"name\":\"size\"")
        );

        Assert.NotEqual(json, documented.ToString());
        Assert.False(AvroRecordDecoder.Supports(documented, TickSchema));
        Assert.False(AvroRecordDecoder.Supports(reordered, TickSchema));
        Assert.False(AvroRecordDecoder.Supports(new SymbolObservation().Schema, new SymbolObservation().Schema));
    }

    [Fact]
    public void RandomTicksAreReadAsApacheAvroReadsThem()
    {
        var random = new Random(31);
        var writer = new SpecificDatumWriter<MarketTick>(TickSchema);
        for (var i = 0; i < 3000; i++)
        {
            var tick = new MarketTick
            {
                symbol = Text(random),
                event_time = DateTime.UnixEpoch.AddMilliseconds(
                    random.NextInt64(-62_135_596_800_000, 253_402_300_799_999)
                ),
                price = Number(random),
                size = Number(random),
                bid = random.Next(3) == 0 ? null : Number(random),
                ask = random.Next(3) == 0 ? null : Number(random),
                sequence = random.Next(3) switch
                {
                    0 => null,
                    1 => random.Next(2) == 0 ? long.MinValue : long.MaxValue,
                    _ => random.NextInt64(long.MinValue, long.MaxValue),
                },
            };
            using var stream = new MemoryStream();
            writer.Write(tick, new BinaryEncoder(stream));

            AssertSameOutcome(stream.ToArray(), $"record {i}");
        }
    }

    [Fact]
    public void RandomBodiesWithAnyStringBytesAndAnyTimeAreReadAsApacheAvroReadsThem()
    {
        var random = new Random(43);
        var scanner = new AvroBodyScanner(TickSchema);
        for (var i = 0; i < 3000; i++)
        {
            var body = new List<byte>();
            var symbol = new byte[random.Next(3) == 0 ? 0 : random.Next(1, 40)];
            random.NextBytes(symbol);
            Long(body, symbol.Length);
            body.AddRange(symbol);
            // Now and then past the range a DateTime holds: both readers refuse it alike.
            Long(body, random.Next(20) == 0 ? random.NextInt64() : random.NextInt64(-62_135_596_800_000, 1L << 42));
            body.AddRange(Bytes(random, 16));
            foreach (var width in new[] { 8, 8, 0 })
            {
                var present = random.Next(2);
                Long(body, present);
                if (present == 1)
                {
                    if (width == 8)
                    {
                        body.AddRange(Bytes(random, 8));
                    }
                    else
                    {
                        Long(body, random.NextInt64(long.MinValue, long.MaxValue));
                    }
                }
            }

            var bytes = body.ToArray();
            scanner.Scan(bytes);
            AssertSameOutcome(bytes, $"body {i}: {Convert.ToHexString(bytes)}");
        }
    }

    [Fact]
    public async Task AContractSerdeReadsTheContractsOwnSchemaInPlaceAndAnotherVersionThroughApacheAvroAlike()
    {
        await using var registry = await EmbeddedSchemaRegistry.StartAsync(0, CancellationToken.None);
        using var client = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = registry.Url });
        var serde = new ContractSerde<MarketTick>(client);
        var tick = new MarketTick
        {
            symbol = "AAPL",
            event_time = new DateTime(2026, 2, 2, 14, 30, 0, 123, DateTimeKind.Utc),
            price = 187.25,
            size = 100,
            ask = 187.3,
            sequence = 42,
        };
        var own = serde.Serialize(tick, "market-ticks");
        var documented = TickSchema.ToString().Replace("Traded size; finite and not negative.", "Traded size.");
        var id = await client.RegisterSchemaAsync(
            "other-value",
            new Confluent.SchemaRegistry.Schema(documented, SchemaType.Avro)
        );
        var other = (byte[])own.Clone();
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(other.AsSpan(1, 4), id);

        var direct = serde.Deserialize(own, "market-ticks");
        var resolved = serde.Deserialize(other, "market-ticks");

        Assert.NotEqual(own[1..5], other[1..5]);
        foreach (var read in new[] { direct, resolved })
        {
            Assert.Equal(Values(tick), Values(read));
        }
    }

    private static void AssertSameOutcome(byte[] body, string what)
    {
        var expected = Outcome(() =>
            new SpecificDatumReader<MarketTick>(TickSchema, TickSchema).Read(
                null!,
                new BinaryDecoder(new MemoryStream(body))
            )
        );
        var actual = Outcome(() => AvroRecordDecoder.Read<MarketTick>(body, TickPlan));
        var untyped = Outcome(() => AvroRecordDecoder.Read<UntypedTick>(body, UntypedPlan));

        Assert.True(expected == actual, $"{what}: Apache Avro {expected}, this reader {actual}");
        Assert.True(expected == untyped, $"{what}: Apache Avro {expected}, this reader through Put {untyped}");
    }

    private static string Outcome(Func<ISpecificRecord> read)
    {
        try
        {
            return string.Join(" | ", Values(read()));
        }
        catch (Exception ex)
        {
            return ex.GetType().Name;
        }
    }

    // Every field as text, floating-point numbers by their bits (NaN payloads and -0 included).
    private static IEnumerable<string> Values(ISpecificRecord tick) =>
        Enumerable
            .Range(0, TickSchema.Fields.Count)
            .Select(i =>
                tick.Get(i) switch
                {
                    null => "null",
                    double d => $"d{BitConverter.DoubleToInt64Bits(d):X}",
                    DateTime t => $"t{t.Ticks}:{t.Kind}",
                    string s => $"s{Convert.ToHexString(Encoding.UTF8.GetBytes(s))}:{s.Length}",
                    var v => $"{v.GetType().Name}:{v}",
                }
            );

    private static string Text(Random random) =>
        random.Next(6) switch
        {
            0 => string.Empty,
            1 => "\uD800",
            2 => "AAPL\u00e9\U0001F600",
            3 => new string('X', random.Next(100, 2000)),
            _ => new string([.. Enumerable.Range(0, random.Next(1, 12)).Select(_ => (char)random.Next(1, 0xFFFF))]),
        };

    private static double Number(Random random) =>
        random.Next(6) switch
        {
            0 => double.NaN,
            1 => double.NegativeInfinity,
            2 => -0.0,
            3 => BitConverter.Int64BitsToDouble(random.NextInt64()),
            _ => random.NextDouble() * 1000,
        };

    private static byte[] Bytes(Random random, int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }

    private static void Long(List<byte> body, long value)
    {
        var zigzag = (ulong)((value << 1) ^ (value >> 63));
        do
        {
            var b = (byte)(zigzag & 0x7F);
            zigzag >>= 7;
            body.Add(zigzag == 0 ? b : (byte)(b | 0x80));
        } while (zigzag != 0);
    }

    /// <summary>A tick with no properties, only <see cref="ISpecificRecord.Get"/> and
    /// <see cref="ISpecificRecord.Put"/>.</summary>
    private sealed class UntypedTick : ISpecificRecord
    {
        private readonly object?[] _fields = new object?[TickSchema.Fields.Count];

        public Avro.Schema Schema => TickSchema;

        public object? Get(int fieldPos) => _fields[fieldPos];

        public void Put(int fieldPos, object fieldValue) => _fields[fieldPos] = fieldValue;
    }
}
