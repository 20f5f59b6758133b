using System.Buffers.Binary;
using System.Reflection;
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
/// the bytes in place, and sets each value through the generated property's typed setter rather than boxed
/// through <see cref="ISpecificRecord.Put"/>. It runs only after <see cref="AvroBodyScanner"/> has accepted the
/// body, so every length, number and union branch it meets is known to be in bounds; what the scanner does not
/// check (a string's UTF-8) is decoded as Apache Avro decodes it. A writer schema that differs from the contract's
/// in any way (another version, field order, a doc), or a field outside that part, goes through Apache Avro's
/// resolving reader.
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
    /// <see cref="Supports"/> accepted) into <typeparamref name="T"/>: each field's kind and the typed setter of
    /// the generated class's property, worked out once per writer schema.</summary>
    public static Plan<T> Compile<T>(RecordSchema schema)
        where T : class, ISpecificRecord
    {
        FieldPlan[] fields =
        [
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
        ];
        return new Plan<T>(fields, [.. schema.Fields.Zip(fields, (f, plan) => Setter<T>.For(f.Name, plan))]);
    }

    /// <summary>The record in <paramref name="body"/>, an Avro body that <see cref="AvroBodyScanner"/> accepted for
    /// the schema <paramref name="plan"/> was compiled from.</summary>
    public static T Read<T>(ReadOnlySpan<byte> body, Plan<T> plan)
        where T : class, ISpecificRecord
    {
        var record = Activator.CreateInstance<T>();
        var position = 0;
        var fields = plan.Fields;
        var setters = plan.Setters;
        for (var i = 0; i < fields.Length; i++)
        {
            var field = fields[i];
            // The scanner checked a union's branch: 0 or 1.
            var isNull = field.NullBranch >= 0 && ReadLong(body, ref position) == field.NullBranch;
            if (setters[i] is { } setter)
            {
                // Straight into the property, without boxing the value for ISpecificRecord.Put.
                if (isNull)
                {
                    setter.SetNull(record);
                }
                else
                {
                    setter.Set(record, body, ref position, field.Schema);
                }
            }
            else
            {
                record.Put(field.Position, isNull ? null : ReadValue(field, body, ref position));
            }
        }

        return record;
    }

    private static object ReadValue(FieldPlan field, ReadOnlySpan<byte> body, ref int position) =>
        field.Kind switch
        {
            ValueKind.Int => ReadInt(body, ref position, field.Schema),
            ValueKind.Long => ReadLong(body, ref position),
            ValueKind.Float => ReadFloat(body, ref position, field.Schema),
            ValueKind.Double => ReadDouble(body, ref position, field.Schema),
            ValueKind.String => ReadString(body, ref position, field.Schema),
            _ => ReadTimestamp(body, ref position, field.Schema),
        };

    private static int ReadInt(ReadOnlySpan<byte> body, ref int position, Schema schema) =>
        (int)ReadLong(body, ref position);

    private static long ReadLong(ReadOnlySpan<byte> body, ref int position, Schema schema) =>
        ReadLong(body, ref position);

    private static float ReadFloat(ReadOnlySpan<byte> body, ref int position, Schema schema)
    {
        var single = BinaryPrimitives.ReadSingleLittleEndian(body[position..]);
        position += 4;
        return single;
    }

    private static double ReadDouble(ReadOnlySpan<byte> body, ref int position, Schema schema)
    {
        var number = BinaryPrimitives.ReadDoubleLittleEndian(body[position..]);
        position += 8;
        return number;
    }

    private static string ReadString(ReadOnlySpan<byte> body, ref int position, Schema schema)
    {
        var length = (int)ReadLong(body, ref position);
        var text = Encoding.UTF8.GetString(body.Slice(position, length));
        position += length;
        return text;
    }

    // timestamp-millis, through the library's own conversion (a UTC DateTime), so that what it refuses is refused.
    private static DateTime ReadTimestamp(ReadOnlySpan<byte> body, ref int position, Schema schema)
    {
        var logical = (LogicalSchema)schema;
        return (DateTime)logical.LogicalType.ConvertToLogicalValue(ReadLong(body, ref position), logical);
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

    /// <summary>The fields of a record schema as <see cref="Read{T}"/> reads them into <typeparamref name="T"/>.
    /// </summary>
    public sealed class Plan<T>
        where T : class, ISpecificRecord
    {
        internal Plan(FieldPlan[] fields, Setter<T>?[] setters) => (Fields, Setters) = (fields, setters);

        internal FieldPlan[] Fields { get; }

        // Each field's typed setter; null where the generated class has no public property of the field's name and
        // type, and the value goes through ISpecificRecord.Put.
        internal Setter<T>?[] Setters { get; }
    }

    /// <summary>Reads one field's value from a body and sets it on the record's property.</summary>
    internal abstract class Setter<T>
        where T : class, ISpecificRecord
    {
        public abstract void Set(T record, ReadOnlySpan<byte> body, ref int position, Schema schema);

        public abstract void SetNull(T record);

        /// <summary>The setter of <typeparamref name="T"/>'s public property <paramref name="name"/> for a field
        /// read as <paramref name="field"/> says; null when there is none of that type.</summary>
        public static Setter<T>? For(string name, FieldPlan field)
        {
            if (
                typeof(T).GetProperty(name, BindingFlags.Public | BindingFlags.Instance) is not { } property
                || property.SetMethod is not { IsPublic: true } method
            )
            {
                return null;
            }

            var nullable = field.NullBranch >= 0;
            return field.Kind switch
            {
                ValueKind.Int => Typed<int>(method, ReadInt, nullable),
                ValueKind.Long => Typed<long>(method, ReadLong, nullable),
                ValueKind.Float => Typed<float>(method, ReadFloat, nullable),
                ValueKind.Double => Typed<double>(method, ReadDouble, nullable),
                ValueKind.String => Typed<string>(method, ReadString),
                _ => Typed<DateTime>(method, ReadTimestamp, nullable),
            };
        }

        // A value type's setter: of TValue, or of TValue? when the field is a union with null.
        private static Setter<T>? Typed<TValue>(MethodInfo method, ValueReader<TValue> read, bool nullable)
            where TValue : struct =>
            nullable
                ? Typed<TValue?>(method, (ReadOnlySpan<byte> b, ref int p, Schema s) => read(b, ref p, s))
                : Typed(method, read);

        private static TypedSetter<T, TValue>? Typed<TValue>(MethodInfo method, ValueReader<TValue> read) =>
            method.GetParameters() is [{ } parameter] && parameter.ParameterType == typeof(TValue)
                ? new TypedSetter<T, TValue>(method.CreateDelegate<Action<T, TValue>>(), read)
                : null;
    }

    private delegate TValue ValueReader<TValue>(ReadOnlySpan<byte> body, ref int position, Schema schema);

    private sealed class TypedSetter<T, TValue>(Action<T, TValue> set, ValueReader<TValue> read) : Setter<T>
        where T : class, ISpecificRecord
    {
        public override void Set(T record, ReadOnlySpan<byte> body, ref int position, Schema schema) =>
            set(record, read(body, ref position, schema));

        public override void SetNull(T record) => set(record, default!);
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
