using Avro;

namespace Inference.Streaming.Worker.Kafka;

/// <summary>
/// Walks an Avro binary body against its writer schema before anything decodes it, and refuses it
/// when decoding would not be bounded by its bytes. Apache Avro's reader trusts the writer: it
/// recurses once per level of a recursive type (a record nested tens of thousands deep overflows the
/// stack, which .NET cannot catch) and loops once per item a block count claims (2^62 items of a type
/// that takes no bytes never end). This walk is iterative in nothing but bounded in everything:
/// <list type="bullet">
/// <item>nesting depth (records, arrays, maps, unions) at most <see cref="MaxDepth"/>;</item>
/// <item>a block's count checked against the bytes left for items that take bytes, and every item
/// counted towards a total, items that take no bytes included;</item>
/// <item>the values visited counted towards a step budget, so the walk's time is bounded by the
/// record's length whatever the schema (a count, not a clock: the same record is refused on every
/// machine and in every replay);</item>
/// <item>every length (strings, bytes, size-prefixed blocks) checked against the bytes left, so
/// nothing is allocated for bytes that are not there.</item>
/// </list>
/// A body that passes decodes in time and memory linear in its length.
/// </summary>
public sealed class AvroBodyScanner
{
    /// <summary>Deepest nesting of records, arrays, maps and unions a body may have.</summary>
    public const int MaxDepth = 32;

    /// <summary>Items a body may hold beyond one per byte: the allowance for items that take no bytes.</summary>
    public const int ItemAllowance = 4096;

    /// <summary>Values visited per byte of body, beyond the allowance, before the walk stops.</summary>
    public const int StepsPerByte = 8;

    private readonly Schema _writer;
    private readonly Dictionary<Schema, int> _minWidths = new(ReferenceEqualityComparer.Instance);

    public AvroBodyScanner(Schema writer)
    {
        _writer = writer;
        MinWidth(writer, new HashSet<Schema>(ReferenceEqualityComparer.Instance));
    }

    /// <summary>Throws <see cref="AvroBodyException"/> unless <paramref name="body"/> is one bounded value.</summary>
    public void Scan(ReadOnlySpan<byte> body)
    {
        var cursor = new Cursor(body);
        Scan(_writer, ref cursor, depth: 0);
    }

    /// <summary>
    /// The path by which a record of <paramref name="schema"/> contains itself (for example
    /// <c>MarketTick.child -> MarketTick</c>), or null when no type is recursive. No contract is
    /// recursive, and Apache Avro cannot build a reader that skips a recursive field (it recurses
    /// until the stack ends), so a recursive writer schema is refused at its first record.
    /// </summary>
    public static string? Recursion(Schema schema) =>
        Recursion(schema, [], new HashSet<Schema>(ReferenceEqualityComparer.Instance));

    private static string? Recursion(
        Schema schema,
        List<(RecordSchema Record, string Field)> path,
        HashSet<Schema> done
    )
    {
        switch (schema)
        {
            case RecordSchema record:
                if (path.FindIndex(p => ReferenceEquals(p.Record, record)) is var at and >= 0)
                {
                    return string.Join(" -> ", path.Skip(at).Select(p => $"{p.Record.Name}.{p.Field}"))
                        + $" -> {record.Name}";
                }

                if (done.Contains(record))
                {
                    return null;
                }

                foreach (var field in record.Fields)
                {
                    path.Add((record, field.Name));
                    var found = Recursion(field.Schema, path, done);
                    path.RemoveAt(path.Count - 1);
                    if (found is not null)
                    {
                        return found;
                    }
                }

                done.Add(record);
                return null;
            case UnionSchema union:
                return union.Schemas.Select(s => Recursion(s, path, done)).FirstOrDefault(f => f is not null);
            case ArraySchema array:
                return Recursion(array.ItemSchema, path, done);
            case MapSchema map:
                return Recursion(map.ValueSchema, path, done);
            default:
                return null;
        }
    }

    private void Scan(Schema schema, ref Cursor cursor, int depth)
    {
        cursor.Step();
        switch (schema.Tag)
        {
            case Schema.Type.Null:
                return;
            case Schema.Type.Boolean:
                cursor.Skip(1);
                return;
            case Schema.Type.Int:
                if (cursor.ReadLong() is < int.MinValue or > int.MaxValue)
                {
                    throw AvroBodyException.Malformed($"an int at byte {cursor.Position} is out of range");
                }

                return;
            case Schema.Type.Long:
                cursor.ReadLong();
                return;
            case Schema.Type.Float:
                cursor.Skip(4);
                return;
            case Schema.Type.Double:
                cursor.Skip(8);
                return;
            case Schema.Type.Bytes:
            case Schema.Type.String:
                cursor.Skip(cursor.ReadLong());
                return;
            case Schema.Type.Fixed:
                cursor.Skip(((FixedSchema)schema).Size);
                return;
            case Schema.Type.Enumeration:
                Index(ref cursor, ((EnumSchema)schema).Count, "enum symbol");
                return;
            case Schema.Type.Logical:
                Scan(((LogicalSchema)schema).BaseSchema, ref cursor, depth);
                return;
            case Schema.Type.Union:
                var union = (UnionSchema)schema;
                var branch = Index(ref cursor, union.Count, "union branch");
                Scan(union[branch], ref cursor, Deeper(depth, cursor));
                return;
            case Schema.Type.Record:
            case Schema.Type.Error:
                var inner = Deeper(depth, cursor);
                foreach (var field in ((RecordSchema)schema).Fields)
                {
                    Scan(field.Schema, ref cursor, inner);
                }

                return;
            case Schema.Type.Array:
                Blocks(((ArraySchema)schema).ItemSchema, key: false, ref cursor, Deeper(depth, cursor));
                return;
            case Schema.Type.Map:
                Blocks(((MapSchema)schema).ValueSchema, key: true, ref cursor, Deeper(depth, cursor));
                return;
            default:
                throw AvroBodyException.Malformed($"the writer schema has a type ({schema.Tag}) Avro does not define");
        }
    }

    private void Blocks(Schema item, bool key, ref Cursor cursor, int depth)
    {
        // A map entry is a string key (at least its length byte) and a value.
        var width = (key ? 1 : 0) + _minWidths[item];
        while (true)
        {
            var count = cursor.ReadLong();
            if (count == 0)
            {
                return;
            }

            if (count < 0)
            {
                // A negative count is followed by the block's size in bytes (Avro's skippable blocks).
                if (count == long.MinValue)
                {
                    throw AvroBodyException.Malformed($"a block count at byte {cursor.Position} is out of range");
                }

                count = -count;
                var size = cursor.ReadLong();
                if (size < 0 || size > cursor.Remaining)
                {
                    throw AvroBodyException.Malformed(
                        $"a block of {size} bytes at byte {cursor.Position} is longer than the {cursor.Remaining} left"
                    );
                }
            }

            if (width > 0 && count > cursor.Remaining / width)
            {
                throw AvroBodyException.Limit(
                    $"a block claims {count} items of at least {width} bytes at byte {cursor.Position}, "
                        + $"with {cursor.Remaining} bytes left"
                );
            }

            cursor.CountItems(count);
            for (var i = 0L; i < count; i++)
            {
                if (key)
                {
                    cursor.Step();
                    cursor.Skip(cursor.ReadLong());
                }

                Scan(item, ref cursor, depth);
            }
        }
    }

    private static int Index(ref Cursor cursor, int count, string what)
    {
        var at = cursor.Position;
        var index = cursor.ReadLong();
        if (index < 0 || index >= count)
        {
            throw AvroBodyException.Malformed($"{what} {index} at byte {at} is not one of the schema's {count}");
        }

        return (int)index;
    }

    private static int Deeper(int depth, in Cursor cursor) =>
        depth < MaxDepth
            ? depth + 1
            : throw AvroBodyException.Limit($"values nest deeper than {MaxDepth} levels at byte {cursor.Position}");

    /// <summary>
    /// The fewest bytes a value of <paramref name="schema"/> can take: 0 for <c>null</c>, an empty
    /// record or a zero-size fixed; a type still being measured (recursion) counts 0, the safe side.
    /// </summary>
    private int MinWidth(Schema schema, HashSet<Schema> measuring)
    {
        if (_minWidths.TryGetValue(schema, out var known))
        {
            return known;
        }

        if (!measuring.Add(schema))
        {
            return 0;
        }

        int width;
        switch (schema)
        {
            case RecordSchema record:
                width = record.Fields.Sum(f => MinWidth(f.Schema, measuring));
                break;
            case LogicalSchema logical:
                width = MinWidth(logical.BaseSchema, measuring);
                break;
            case FixedSchema @fixed:
                width = @fixed.Size;
                break;
            case UnionSchema union:
                // The branch index takes a byte; the branches are measured for the collections inside them.
                foreach (var branch in union.Schemas)
                {
                    MinWidth(branch, measuring);
                }

                width = 1;
                break;
            case ArraySchema array:
                MinWidth(array.ItemSchema, measuring);
                width = 1;
                break;
            case MapSchema map:
                MinWidth(map.ValueSchema, measuring);
                width = 1;
                break;
            default:
                width = schema.Tag switch
                {
                    Schema.Type.Null => 0,
                    Schema.Type.Float => 4,
                    Schema.Type.Double => 8,
                    _ => 1,
                };
                break;
        }

        measuring.Remove(schema);
        _minWidths[schema] = width;
        return width;
    }

    private ref struct Cursor
    {
        private readonly ReadOnlySpan<byte> _data;
        private readonly long _maxItems;
        private readonly long _maxSteps;
        private long _items;
        private long _steps;

        public Cursor(ReadOnlySpan<byte> data)
        {
            _data = data;
            _maxItems = ItemAllowance + (long)data.Length;
            _maxSteps = StepsPerByte * (ItemAllowance + (long)data.Length);
        }

        public int Position { get; private set; }

        public readonly int Remaining => _data.Length - Position;

        public void Step()
        {
            if (++_steps > _maxSteps)
            {
                throw AvroBodyException.Limit(
                    $"decoding visits more than {_maxSteps} values in {_data.Length} bytes (at byte {Position})"
                );
            }
        }

        public void CountItems(long count)
        {
            // Compared before adding: a count near long.MaxValue after an earlier block would wrap the sum.
            if (count > _maxItems - _items)
            {
                throw AvroBodyException.Limit(
                    $"collections hold more than {_maxItems} items in {_data.Length} bytes (at byte {Position})"
                );
            }

            _items += count;
        }

        public void Skip(long bytes)
        {
            if (bytes < 0 || bytes > Remaining)
            {
                throw AvroBodyException.Malformed(
                    $"a value of {bytes} bytes at byte {Position} is longer than the {Remaining} left"
                );
            }

            Position += (int)bytes;
        }

        /// <summary>A zig-zag varint of at most 10 bytes, as Avro writes ints and longs.</summary>
        public long ReadLong()
        {
            ulong value = 0;
            for (var shift = 0; shift < 70; shift += 7)
            {
                if (Position >= _data.Length)
                {
                    throw AvroBodyException.Malformed($"the body ends inside a number at byte {Position}");
                }

                var b = _data[Position++];
                value |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                {
                    return (long)(value >> 1) ^ -(long)(value & 1);
                }
            }

            throw AvroBodyException.Malformed($"a number longer than 10 bytes ends at byte {Position}");
        }
    }
}

/// <summary>Why <see cref="AvroBodyScanner"/> refused a body.</summary>
public sealed class AvroBodyException(DecodeFailure reason, string message) : Exception(message)
{
    public DecodeFailure Reason { get; } = reason;

    public static AvroBodyException Limit(string message) => new(DecodeFailure.DecodeLimit, message);

    public static AvroBodyException Malformed(string message) => new(DecodeFailure.Malformed, message);
}
