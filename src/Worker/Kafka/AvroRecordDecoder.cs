using System.Buffers.Binary;
using System.Text;
using Avro;
using Avro.Specific;

namespace Inference.Streaming.Worker.Kafka;

/// <summary>
/// Reads a record body into a new generated record, value for value as Apache Avro's
/// <see cref="SpecificDatumReader{T}"/> does, when the writer's schema is the contract's own schema and every field
/// is an int, long, float, double or string, a <c>timestamp-millis</c> long, or a <c>["null", X]</c> union of one of
/// these: the shape of the input records the ingest thread reads for every tick (<c>MarketTick</c>).
/// <para>
/// Apache Avro's reader wraps the body in a stream and a decoder, calls a delegate per field and reads each number
/// through the stream: about a quarter of the ingest thread's CPU in the throughput benchmark's profile. This reads
/// the bytes in place. It runs only after <see cref="AvroBodyScanner"/> has accepted the body, so every length,
/// number and union branch it meets is known to be in bounds; what the scanner does not check (a string's UTF-8) is
/// decoded as Apache Avro decodes it. A writer schema that differs from the contract's in any way (another version,
/// field order, a doc), or a field outside that part, goes through Apache Avro's resolving reader.
/// </para>
/// </summary>
public static class AvroRecordDecoder
{
    /// <summary>Whether records written with <paramref name="writer"/> may be read by <see cref="Read{T}"/> into the
    /// contract whose schema is <paramref name="reader"/>.</summary>
    public static bool Supports(Schema writer, Schema reader) =>
        writer is RecordSchema record
        && writer.Tag == Schema.Type.Record
        && string.Equals(writer.ToString(), reader.ToString(), StringComparison.Ordinal)
        && record.Fields.All(f => IsValue(f.Schema) || (Nullable(f.Schema) is { } value && IsValue(value)));

    /// <summary>How <see cref="Read{T}"/> reads records of <paramref name="schema"/> (which
    /// <see cref="Supports"/> accepted): each field's kind, worked out once per writer schema.</summary>
    public static Plan Compile(RecordSchema schema) =>
        new([
            .. schema.Fields.Select(f =>
                Nullable(f.Schema) is { } value
                    ? new FieldPlan(
                        f.Pos,
                        Kind(value),
                        ((UnionSchema)f.Schema)[0].Tag == Schema.Type.Null ? 0 : 1,
                        value
                    )
                    : new FieldPlan(f.Pos, Kind(f.Schema), -1, f.Schema)
            ),
        ]);

    /// <summary>The record in <paramref name="body"/>, an Avro body that <see cref="AvroBodyScanner"/> accepted for
    /// the schema <paramref name="plan"/> was compiled from.</summary>
    public static T Read<T>(ReadOnlySpan<byte> body, Plan plan)
        where T : ISpecificRecord
    {
        var record = Activator.CreateInstance<T>();
        var position = 0;
        foreach (var field in plan.Fields)
        {
            // The scanner checked a union's branch: 0 or 1.
            var value =
                field.NullBranch >= 0 && ReadLong(body, ref position) == field.NullBranch
                    ? null
                    : ReadValue(field, body, ref position);
            record.Put(field.Position, value);
        }

        return record;
    }

    private static object ReadValue(FieldPlan field, ReadOnlySpan<byte> body, ref int position)
    {
        switch (field.Kind)
        {
            case ValueKind.Int:
                return (int)ReadLong(body, ref position);
            case ValueKind.Long:
                return ReadLong(body, ref position);
            case ValueKind.Float:
                var single = BinaryPrimitives.ReadSingleLittleEndian(body[position..]);
                position += 4;
                return single;
            case ValueKind.Double:
                var number = BinaryPrimitives.ReadDoubleLittleEndian(body[position..]);
                position += 8;
                return number;
            case ValueKind.String:
                var length = (int)ReadLong(body, ref position);
                var text = Encoding.UTF8.GetString(body.Slice(position, length));
                position += length;
                return text;
            default:
                // timestamp-millis, through the library's own conversion (a UTC DateTime).
                var logical = (LogicalSchema)field.Schema;
                return logical.LogicalType.ConvertToLogicalValue(ReadLong(body, ref position), logical);
        }
    }

    private static ValueKind Kind(Schema schema) =>
        schema.Tag switch
        {
            Schema.Type.Int => ValueKind.Int,
            Schema.Type.Long => ValueKind.Long,
            Schema.Type.Float => ValueKind.Float,
            Schema.Type.Double => ValueKind.Double,
            Schema.Type.String => ValueKind.String,
            _ => ValueKind.TimestampMillis,
        };

    /// <summary>The fields of a record schema as <see cref="Read{T}"/> reads them.</summary>
    public sealed class Plan
    {
        internal Plan(FieldPlan[] fields) => Fields = fields;

        internal FieldPlan[] Fields { get; }
    }

    /// <summary>One field: its position, its value's kind, the branch that is null when it is a union (-1 when it
    /// is not), and its value's schema.</summary>
    internal readonly record struct FieldPlan(int Position, ValueKind Kind, int NullBranch, Schema Schema);

    internal enum ValueKind
    {
        Int,
        Long,
        Float,
        Double,
        String,
        TimestampMillis,
    }

    // A zig-zag varint; the scanner has checked that it ends within 10 bytes and inside the body.
    private static long ReadLong(ReadOnlySpan<byte> body, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = body[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return (long)(value >> 1) ^ -(long)(value & 1);
            }
        }
    }

    private static bool IsValue(Schema schema) =>
        schema.Tag
            is Schema.Type.Int
                or Schema.Type.Long
                or Schema.Type.Float
                or Schema.Type.Double
                or Schema.Type.String
        || (
            schema is LogicalSchema { LogicalTypeName: "timestamp-millis" } logical
            && logical.BaseSchema.Tag == Schema.Type.Long
        );

    // X of a ["null", X] or [X, "null"] union; null for any other schema.
    private static Schema? Nullable(Schema schema) =>
        schema is UnionSchema { Count: 2 } union
            ? union[0].Tag == Schema.Type.Null
                ? union[1]
                : union[1].Tag == Schema.Type.Null
                    ? union[0]
                    : null
            : null;
}
