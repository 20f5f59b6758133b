using System.Buffers;
using System.Buffers.Binary;
using System.Collections;
using System.Text;
using Avro;
using Avro.Specific;

namespace Inference.Streaming.Worker.Kafka;

/// <summary>
/// Writes a generated record in Avro's binary encoding, byte for byte as Apache Avro's
/// <see cref="SpecificDatumWriter{T}"/> does, for the part of Avro the contracts use: records, arrays, enums,
/// <c>["null", X]</c> unions, the primitive types and <c>timestamp-millis</c>.
/// <para>
/// Apache Avro's writer allocates for every value it writes: a delegate per primitive value (its resolved writer
/// binds the encoder's method anew each call), a 4-byte array per float (<c>BitConverter.GetBytes</c>), and a box
/// per list element. The contracts carry 43 features per observation and
/// per forensics record, so that was about 40% of the bytes the worker allocated per tick (a GC allocation trace of
/// the throughput benchmark). This writes the same bytes into one reused buffer; only the values
/// <see cref="ISpecificRecord.Get"/> boxes remain.
/// </para>
/// <para>A schema outside that part (a map, bytes, fixed, another logical type, a union of two non-null types) is
/// not <see cref="Supports(Schema)">supported</see>, and its records go through Apache Avro's writer.</para>
/// </summary>
public static class AvroRecordEncoder
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _buffer;

    /// <summary>Whether every type reachable from <paramref name="schema"/> is one this writer handles.</summary>
    public static bool Supports(Schema schema) => Supports(schema, []);

    /// <summary><paramref name="header"/> then <paramref name="record"/>'s Avro body, as a new array; the record's
    /// own schema, which <see cref="Supports(Schema)"/> must have accepted.</summary>
    public static byte[] Encode(ReadOnlySpan<byte> header, ISpecificRecord record) =>
        Encode(header, (RecordSchema)record.Schema, record);

    /// <summary><paramref name="header"/> then <paramref name="record"/>'s Avro body as <paramref name="schema"/>,
    /// which <see cref="Supports(Schema)"/> must have accepted, as a new array.</summary>
    public static byte[] Encode(ReadOnlySpan<byte> header, RecordSchema schema, ISpecificRecord record)
    {
        var buffer = _buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        buffer.Write(header);
        try
        {
            WriteRecord(schema, record, buffer);
            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            if (buffer.Capacity > MaxRetainedBuffer)
            {
                // One very large record (a state snapshot of many symbols) does not pin its buffer for good.
                _buffer = null;
            }
        }
    }

    private const int MaxRetainedBuffer = 1 << 20;

    private static bool Supports(Schema schema, HashSet<Schema> seen)
    {
        switch (schema)
        {
            case LogicalSchema logical:
                return logical.LogicalTypeName == "timestamp-millis" && logical.BaseSchema.Tag == Schema.Type.Long;
            case RecordSchema record:
                // A recursive record refers back to one already being checked. An error type is Avro RPC's.
                return record.Tag == Schema.Type.Record
                    && (!seen.Add(record) || record.Fields.All(f => Supports(f.Schema, seen)));
            case ArraySchema array:
                return Supports(array.ItemSchema, seen);
            case UnionSchema union:
                return union.Count == 2
                    && union.Schemas.Count(s => s.Tag == Schema.Type.Null) == 1
                    && union.Schemas.All(s => Supports(s, seen));
            case EnumSchema:
                return true;
            default:
                return schema.Tag
                    is Schema.Type.Null
                        or Schema.Type.Boolean
                        or Schema.Type.Int
                        or Schema.Type.Long
                        or Schema.Type.Float
                        or Schema.Type.Double
                        or Schema.Type.String;
        }
    }

    private static void WriteRecord(RecordSchema schema, ISpecificRecord record, IBufferWriter<byte> output)
    {
        foreach (var field in schema.Fields)
        {
            Write(field.Schema, record.Get(field.Pos), output, field.Name);
        }
    }

    private static void Write(Schema schema, object? value, IBufferWriter<byte> output, string field)
    {
        switch (schema.Tag)
        {
            case Schema.Type.Null:
                if (value is not null)
                {
                    throw Mismatch(schema, value, field);
                }

                break;
            case Schema.Type.Boolean:
                WriteByte(output, value is bool b ? (byte)(b ? 1 : 0) : throw Mismatch(schema, value, field));
                break;
            case Schema.Type.Int:
                WriteLong(output, value is int i ? i : throw Mismatch(schema, value, field));
                break;
            case Schema.Type.Long:
                WriteLong(output, value is long l ? l : throw Mismatch(schema, value, field));
                break;
            case Schema.Type.Float:
                WriteFloat(output, value is float f ? f : throw Mismatch(schema, value, field));
                break;
            case Schema.Type.Double:
                WriteDouble(output, value is double d ? d : throw Mismatch(schema, value, field));
                break;
            case Schema.Type.String:
                WriteString(output, value as string ?? throw Mismatch(schema, value, field));
                break;
            case Schema.Type.Enumeration:
                WriteEnum((EnumSchema)schema, value, output, field);
                break;
            case Schema.Type.Logical:
                var logical = (LogicalSchema)schema;
                // The library's own conversion (DateTime to milliseconds since the epoch), so the value is the same.
                Write(logical.BaseSchema, logical.LogicalType.ConvertToBaseValue(value, logical), output, field);
                break;
            case Schema.Type.Record:
                WriteRecord(
                    (RecordSchema)schema,
                    value as ISpecificRecord ?? throw Mismatch(schema, value, field),
                    output
                );
                break;
            case Schema.Type.Array:
                WriteArray((ArraySchema)schema, value, output, field);
                break;
            case Schema.Type.Union:
                var union = (UnionSchema)schema;
                var nullBranch = union.Schemas[0].Tag == Schema.Type.Null ? 0 : 1;
                var branch = value is null ? nullBranch : 1 - nullBranch;
                WriteLong(output, branch);
                Write(union.Schemas[branch], value, output, field);
                break;
            default:
                throw new AvroException($"Field {field}: {schema.Tag} is not written here; Supports() said so.");
        }
    }

    private static void WriteEnum(EnumSchema schema, object? value, IBufferWriter<byte> output, string field)
    {
        // As Apache Avro: the symbol's position in the schema, found by the C# enum value's name.
        var name = value is Enum e ? Enum.GetName(e.GetType(), e) : null;
        if (name is null || !schema.Contains(name))
        {
            throw Mismatch(schema, value, field);
        }

        WriteLong(output, schema.Ordinal(name));
    }

    private static void WriteArray(ArraySchema schema, object? value, IBufferWriter<byte> output, string field)
    {
        // Avro's blocks: one block of every item (count, then the items), then the empty block that ends the array.
        switch (value)
        {
            case List<float> floats when schema.ItemSchema.Tag == Schema.Type.Float:
                if (floats.Count > 0)
                {
                    WriteLong(output, floats.Count);
                    foreach (var f in System.Runtime.InteropServices.CollectionsMarshal.AsSpan(floats))
                    {
                        WriteFloat(output, f);
                    }
                }

                break;
            case IList list:
                if (list.Count > 0)
                {
                    WriteLong(output, list.Count);
                    for (var i = 0; i < list.Count; i++)
                    {
                        Write(schema.ItemSchema, list[i], output, field);
                    }
                }

                break;
            default:
                throw Mismatch(schema, value, field);
        }

        WriteLong(output, 0);
    }

    private static void WriteByte(IBufferWriter<byte> output, byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }

    /// <summary>Zig-zag, then 7 bits a byte, low first: Avro's <c>int</c> and <c>long</c>.</summary>
    private static void WriteLong(IBufferWriter<byte> output, long value)
    {
        var span = output.GetSpan(10);
        var n = (ulong)((value << 1) ^ (value >> 63));
        var written = 0;
        while (n >= 0x80)
        {
            span[written++] = (byte)(n | 0x80);
            n >>= 7;
        }

        span[written++] = (byte)n;
        output.Advance(written);
    }

    private static void WriteFloat(IBufferWriter<byte> output, float value)
    {
        BinaryPrimitives.WriteSingleLittleEndian(output.GetSpan(4), value);
        output.Advance(4);
    }

    private static void WriteDouble(IBufferWriter<byte> output, double value)
    {
        BinaryPrimitives.WriteDoubleLittleEndian(output.GetSpan(8), value);
        output.Advance(8);
    }

    private static void WriteString(IBufferWriter<byte> output, string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        WriteLong(output, length);
        var written = Encoding.UTF8.GetBytes(value, output.GetSpan(length));
        output.Advance(written);
    }

    private static AvroException Mismatch(Schema schema, object? value, string field) =>
        new($"Field {field}: a {value?.GetType().Name ?? "null"} is not a {schema.Fullname}.");
}
