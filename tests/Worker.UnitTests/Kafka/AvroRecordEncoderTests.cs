using System.Collections;
using Avro;
using Avro.IO;
using Avro.Specific;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Tests;
using Inference.Streaming.Worker.Kafka;

namespace Inference.Streaming.Worker.UnitTests.Kafka;

/// <summary>
/// <see cref="AvroRecordEncoder"/> against Apache Avro's own <see cref="SpecificDatumWriter{T}"/>: the same bytes for
/// every contract, with every field filled at random (nulls, extremes, non-finite numbers, empty and long lists,
/// strings no encoder should take lightly).
/// </summary>
public sealed class AvroRecordEncoderTests
{
    private static readonly Type[] Contracts =
    [
        .. typeof(MarketTick)
            .Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(ISpecificRecord).IsAssignableFrom(t))
            .OrderBy(t => t.FullName, StringComparer.Ordinal),
    ];

    public static TheoryData<string> ContractNames() => [.. Contracts.Select(t => t.Name)];

    [Fact]
    public void EveryContractSchemaIsOneItWrites()
    {
        Assert.Contains(typeof(SymbolObservation), Contracts);
        Assert.Contains(typeof(DecisionForensics), Contracts);
        var unsupported = Contracts.Where(t => !AvroRecordEncoder.Supports(New(t).Schema)).Select(t => t.Name);

        Assert.Empty(unsupported);
    }

    [Fact]
    public void TheSampleRecordsAreWrittenAsApacheAvroWritesThem()
    {
        foreach (
            var record in new ISpecificRecord[]
            {
                SampleRecords.Tick(),
                SampleRecords.Regime(),
                SampleRecords.Decision(),
                SampleRecords.Forensics(),
                SampleRecords.Snapshot(),
            }
        )
        {
            Assert.Equal(Avro(record), AvroRecordEncoder.Encode([], record));
        }
    }

    [Theory]
    [MemberData(nameof(ContractNames))]
    public void RandomRecordsOfEachContractAreWrittenAsApacheAvroWritesThem(string name)
    {
        var type = Contracts.Single(t => t.Name == name);
        // A seed of the name's characters, the same in every process (string hashes are not).
        var seed = name.Aggregate(17, (hash, c) => unchecked((hash * 31) + c));
        var random = new Random(seed);
        for (var i = 0; i < 300; i++)
        {
            var record = (ISpecificRecord)Fill(New(type).Schema, type, random)!;

            var expected = Avro(record);
            var written = AvroRecordEncoder.Encode([0, 0, 0, 0, 42], record);

            Assert.Equal([0, 0, 0, 0, 42], written[..5]);
            Assert.True(expected.AsSpan().SequenceEqual(written.AsSpan(5)), $"{name} #{i} (seed {seed}) differs");
        }
    }

    [Fact]
    public void ARecordLargerThanTheRetainedBufferIsWrittenWholeAndTheNextOneAfterIt()
    {
        var large = SampleRecords.Forensics();
        large.features = [.. Enumerable.Range(0, 400_000).Select(i => i * 0.5f)];
        var small = SampleRecords.Tick();

        Assert.Equal(Avro(large), AvroRecordEncoder.Encode([], large));
        Assert.Equal(Avro(small), AvroRecordEncoder.Encode([], small));
    }

    [Fact]
    public void ANullWhereTheSchemaHasNoneIsRefusedAsApacheAvroRefusesIt()
    {
        var tick = SampleRecords.Tick();
        tick.symbol = null!;
        var forensics = SampleRecords.Forensics();
        forensics.features = null!;
        var timings = SampleRecords.Forensics();
        timings.timings = null!;

        foreach (var record in new ISpecificRecord[] { tick, forensics, timings })
        {
            Assert.ThrowsAny<Exception>(() => Avro(record));
            Assert.Throws<AvroException>(() => AvroRecordEncoder.Encode([], record));

            // What the refused record had written so far is not in the next one.
            var next = SampleRecords.Decision();
            Assert.Equal(Avro(next), AvroRecordEncoder.Encode([], next));
        }
    }

    [Fact]
    public void AUnionWithNullSecondIsWrittenAsApacheAvroWritesIt()
    {
        // The contracts put null first; a schema that puts it last must still get each value's own branch index.
        var values = new object?[][]
        {
            [1.5, "x", 7L],
            [null, null, null],
            [double.NaN, "", long.MinValue],
            [null, "tail", 0L],
            [-0.0, null, long.MaxValue],
        };
        foreach (var fields in values)
        {
            var record = new NullLast(fields);

            Assert.True(AvroRecordEncoder.Supports(record.Schema));
            Assert.Equal(Avro(record), AvroRecordEncoder.Encode([], record));
        }
    }

    [Theory]
    [InlineData("""{"type":"map","values":"long"}""")]
    [InlineData(""" "bytes" """)]
    [InlineData("""{"type":"fixed","name":"F","size":4}""")]
    [InlineData("""["string","long"]""")]
    [InlineData("""["null","string","long"]""")]
    [InlineData("""{"type":"int","logicalType":"date"}""")]
    public void ASchemaOutsideTheContractsPartOfAvroIsLeftToApacheAvro(string field)
    {
        var schema = Schema.Parse($$"""{"type":"record","name":"R","fields":[{"name":"f","type":{{field}}}]}""");

        Assert.False(AvroRecordEncoder.Supports(schema));
    }

    /// <summary>A record whose unions put null second: <c>[X, "null"]</c>.</summary>
    private sealed class NullLast(object?[] fields) : ISpecificRecord
    {
        public Schema Schema { get; } =
            Schema.Parse(
                """
                {"type":"record","name":"NullLast","fields":[
                  {"name":"d","type":["double","null"]},
                  {"name":"s","type":["string","null"]},
                  {"name":"l","type":["long","null"]}]}
                """
            );

        public object? Get(int fieldPos) => fields[fieldPos];

        public void Put(int fieldPos, object fieldValue) => fields[fieldPos] = fieldValue;
    }

    private static ISpecificRecord New(Type type) => (ISpecificRecord)Activator.CreateInstance(type)!;

    private static byte[] Avro(ISpecificRecord record)
    {
        using var stream = new MemoryStream();
        new SpecificDatumWriter<ISpecificRecord>(record.Schema).Write(record, new BinaryEncoder(stream));
        return stream.ToArray();
    }

    /// <summary>A random value of <paramref name="schema"/>, as the generated class's property of
    /// <paramref name="type"/> holds it.</summary>
    private static object? Fill(Schema schema, Type type, Random random)
    {
        switch (schema)
        {
            case UnionSchema union:
                return random.Next(3) == 0
                    ? null
                    : Fill(union.Schemas.Single(s => s.Tag != Schema.Type.Null), type, random);
            case LogicalSchema:
                // Ticks below a millisecond too: both sides truncate them through the library's conversion.
                return new DateTime(
                    random.NextInt64(DateTime.UnixEpoch.Ticks, new DateTime(2200, 1, 1).Ticks),
                    DateTimeKind.Utc
                );
            case RecordSchema record:
                var created = New(type);
                foreach (var field in record.Fields)
                {
                    var property = type.GetProperty(field.Name)!.PropertyType;
                    created.Put(
                        field.Pos,
                        Fill(field.Schema, Nullable.GetUnderlyingType(property) ?? property, random)
                    );
                }

                return created;
            case ArraySchema array:
                var item = type.GetGenericArguments()[0];
                var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(item))!;
                var count = random.Next(4) switch
                {
                    0 => 0,
                    1 => 1,
                    2 => 43,
                    _ => random.Next(200),
                };
                for (var i = 0; i < count; i++)
                {
                    list.Add(Fill(array.ItemSchema, item, random));
                }

                return list;
            case EnumSchema enumeration:
                return Enum.Parse(type, enumeration.Symbols[random.Next(enumeration.Count)]);
        }

        return schema.Tag switch
        {
            Schema.Type.Boolean => random.Next(2) == 1,
            Schema.Type.Int => random.Next(5) switch
            {
                0 => int.MinValue,
                1 => int.MaxValue,
                2 => random.Next(-64, 64),
                _ => random.Next(int.MinValue, int.MaxValue),
            },
            Schema.Type.Long => random.Next(5) switch
            {
                0 => long.MinValue,
                1 => long.MaxValue,
                2 => random.NextInt64(-64, 64),
                _ => random.NextInt64(long.MinValue, long.MaxValue),
            },
            Schema.Type.Float => random.Next(4) == 0
                ? new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, float.Epsilon }[
                    random.Next(5)
                ]
                : BitConverter.Int32BitsToSingle(random.Next(int.MinValue, int.MaxValue)),
            Schema.Type.Double => random.Next(4) == 0
                ? new[] { double.NaN, double.PositiveInfinity, -0.0, double.Epsilon, double.MaxValue }[random.Next(5)]
                : BitConverter.Int64BitsToDouble(random.NextInt64(long.MinValue, long.MaxValue)),
            Schema.Type.String => random.Next(6) switch
            {
                0 => "",
                1 => "BTC-USD",
                2 => "Ünïcödé 株式 📈",
                3 => "\uD800 a lone surrogate",
                4 => new string('x', random.Next(128, 2_000)),
                _ => random.NextInt64().ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
            _ => throw new InvalidOperationException($"no random {schema.Tag}"),
        };
    }
}
