using System.Buffers.Binary;
using Avro;
using Avro.Specific;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Confluent.SchemaRegistry.Serdes;

namespace Inference.Streaming.Worker.Kafka;

/// <summary>
/// Avro with the Confluent wire format (magic byte 0, 4-byte schema id, Avro body): encoded through
/// Confluent's own <see cref="AvroSerializer{T}"/>, decoded with the writer schema the registry holds
/// for the record's id, resolved to this contract as Confluent's specific deserializer does, after
/// <see cref="AvroBodyScanner"/> has checked that decoding the body is bounded by its bytes. Decoding
/// failures become a typed <see cref="ContractDecodeException"/>.
/// </summary>
public sealed class ContractSerde<T>(ISchemaRegistryClient registry, AvroSerializerConfig? serializerConfig = null)
    where T : class, ISpecificRecord
{
    private readonly AvroSerializer<T> _serializer = new(registry, serializerConfig);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, WriterDecoder> _decoders = new();
    private readonly Avro.Schema _readerSchema = ((ISpecificRecord)Activator.CreateInstance<T>()).Schema;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte[]> _schemaIds = new(
        StringComparer.Ordinal
    );
    private readonly SpecificDatumWriter<T> _writer = new(((ISpecificRecord)Activator.CreateInstance<T>()).Schema);
    private readonly RecordSchema? _encoded = EncodedSchema();

    /// <summary>
    /// Decodes on the calling thread. The writer schema of each id is fetched once (the registry
    /// client caches it; Confluent's deserializer is async only and, measured, never completes
    /// synchronously, which cost the ingest thread a thread-pool hop per record), and a scanner and a
    /// <see cref="SpecificDatumReader{T}"/> for it are kept.
    /// </summary>
    public T Deserialize(ReadOnlyMemory<byte> data, string topic)
    {
        var schemaId = SchemaIdOf(data, topic);
        var decoder = _decoders.TryGetValue(schemaId, out var cached)
            ? cached
            : ResolveAsync(schemaId, topic).GetAwaiter().GetResult();
        return decoder.Read(data, topic, schemaId);
    }

    public async Task<T> DeserializeAsync(ReadOnlyMemory<byte> data, string topic)
    {
        var schemaId = SchemaIdOf(data, topic);
        var decoder = _decoders.TryGetValue(schemaId, out var cached) ? cached : await ResolveAsync(schemaId, topic);
        return decoder.Read(data, topic, schemaId);
    }

    private static int SchemaIdOf(ReadOnlyMemory<byte> data, string topic) =>
        data.Length >= 5 && data.Span[0] == 0
            ? BinaryPrimitives.ReadInt32BigEndian(data.Span[1..5])
            : throw new ContractDecodeException(
                DecodeFailure.Malformed,
                $"Record on '{topic}' is not in the Confluent wire format ({data.Length} bytes, first byte "
                    + $"{(data.Length > 0 ? data.Span[0] : -1)})."
            );

    private async Task<WriterDecoder> ResolveAsync(int schemaId, string topic)
    {
        Confluent.SchemaRegistry.Schema writer;
        try
        {
            // The registry client caches schemas by id: one request per id for the process's life.
            writer = await registry.GetSchemaAsync(schemaId);
        }
        catch (Exception ex) when (FindRegistryError(ex) is { } registryError)
        {
            throw registryError.ErrorCode is 40403 or 404
                ? new ContractDecodeException(
                    DecodeFailure.UnknownSchema,
                    $"Record on '{topic}' names schema id {schemaId}, which the registry does not know.",
                    ex
                )
                : new ContractDecodeException(
                    DecodeFailure.RegistryUnavailable,
                    $"Registry error {registryError.ErrorCode} for schema id {schemaId}: {registryError.Message}",
                    ex
                );
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            throw new ContractDecodeException(
                DecodeFailure.RegistryUnavailable,
                $"Schema registry unreachable while decoding schema id {schemaId}: {ex.Message}",
                ex
            );
        }

        if (writer.SchemaType != SchemaType.Avro || writer.References is { Count: > 0 })
        {
            throw new ContractDecodeException(
                DecodeFailure.IncompatibleSchema,
                $"Record on '{topic}' names schema id {schemaId}, a {writer.SchemaType} schema"
                    + (writer.References is { Count: > 0 } ? " with references" : "")
                    + $": {typeof(T).Name} is read from a self-contained Avro schema only."
            );
        }

        try
        {
            var parsed = Avro.Schema.Parse(writer.SchemaString);
            if (AvroBodyScanner.Recursion(parsed) is { } recursion)
            {
                // Refused for every record of the id, without building a reader (which would overflow the stack).
                return _decoders.GetOrAdd(
                    schemaId,
                    new WriterDecoder(
                        $"its writer schema is recursive ({recursion}), a shape no contract has and no record is "
                            + "decoded with"
                    )
                );
            }

            return _decoders.GetOrAdd(
                schemaId,
                new WriterDecoder(
                    new AvroBodyScanner(parsed),
                    new SpecificDatumReader<T>(parsed, _readerSchema),
                    AvroRecordDecoder.Supports(parsed, _readerSchema)
                        ? AvroRecordDecoder.Compile<T>((RecordSchema)parsed)
                        : null
                )
            );
        }
        catch (Exception ex) when (ex is AvroException or SchemaParseException or ArgumentException)
        {
            throw Classify(ex, topic, schemaId);
        }
    }

    /// <summary>How records of one writer schema are read: scanned, then resolved to the contract; or
    /// refused.</summary>
    private sealed class WriterDecoder
    {
        private readonly AvroBodyScanner? _scanner;
        private readonly SpecificDatumReader<T>? _reader;
        private readonly string? _refusal;
        private readonly AvroRecordDecoder.Plan<T>? _direct;

        // direct: how AvroRecordDecoder reads the records when the writer schema is the contract's own; null when
        // Apache Avro's resolving reader does.
        public WriterDecoder(AvroBodyScanner scanner, SpecificDatumReader<T> reader, AvroRecordDecoder.Plan<T>? direct)
        {
            _scanner = scanner;
            _reader = reader;
            _direct = direct;
        }

        public WriterDecoder(string refusal) => _refusal = refusal;

        public T Read(ReadOnlyMemory<byte> data, string topic, int schemaId)
        {
            if (_refusal is not null)
            {
                throw new ContractDecodeException(
                    DecodeFailure.DecodeLimit,
                    $"Record on '{topic}' with schema id {schemaId} is past a decode limit: {_refusal}."
                );
            }

            var scanner = _scanner!;
            var reader = _reader!;
            try
            {
                scanner.Scan(data.Span[5..]);
                if (_direct is { } direct)
                {
                    return AvroRecordDecoder.Read<T>(data.Span[5..], direct);
                }

                var body = System.Runtime.InteropServices.MemoryMarshal.TryGetArray(data, out var segment)
                    ? new MemoryStream(segment.Array!, segment.Offset + 5, segment.Count - 5, writable: false)
                    : new MemoryStream(data[5..].ToArray(), writable: false);
                using (body)
                {
                    return reader.Read(default!, new Avro.IO.BinaryDecoder(body));
                }
            }
            catch (AvroBodyException ex)
            {
                throw new ContractDecodeException(
                    ex.Reason,
                    $"Record on '{topic}' with schema id {schemaId} "
                        + (
                            ex.Reason == DecodeFailure.DecodeLimit
                                ? "is past a decode limit: "
                                : "has an undecodable Avro body: "
                        )
                        + ex.Message,
                    ex
                );
            }
            catch (Exception ex)
                when (ex
                        is AvroException
                            or EndOfStreamException
                            or InvalidDataException
                            or IndexOutOfRangeException
                            or ArgumentException
                            or OverflowException
                            or InvalidCastException
                )
            {
                throw Classify(ex, topic, schemaId);
            }
        }
    }

    public Task<byte[]> SerializeAsync(T value, string topic) =>
        _serializer.SerializeAsync(value, new SerializationContext(MessageComponentType.Value, topic));

    /// <summary>
    /// Encodes on the calling thread, byte for byte as Confluent's serializer does: the first record
    /// for a topic goes through it (registering the schema and learning its id from the wire
    /// header it writes), later ones are written behind the same header by <see cref="AvroRecordEncoder"/>
    /// (or, for a schema it does not cover, a cached Apache Avro <see cref="SpecificDatumWriter{T}"/>).
    /// Confluent's serializer is async only and, like the deserializer, costs a thread-pool hop per record
    /// when blocked on.
    /// </summary>
    public byte[] Serialize(T value, string topic)
    {
        if (!_schemaIds.TryGetValue(topic, out var header))
        {
            var first = SerializeAsync(value, topic).GetAwaiter().GetResult();
            _schemaIds.TryAdd(topic, first[..5]);
            return first;
        }

        if (_encoded is not null)
        {
            return AvroRecordEncoder.Encode(header, _encoded, value);
        }

        using var stream = new MemoryStream(256);
        stream.Write(header);
        _writer.Write(value, new Avro.IO.BinaryEncoder(stream));
        return stream.ToArray();
    }

    /// <summary>The contract's schema when <see cref="AvroRecordEncoder"/> writes it; null when Apache Avro's writer
    /// does.</summary>
    private static RecordSchema? EncodedSchema() =>
        ((ISpecificRecord)Activator.CreateInstance<T>()).Schema is RecordSchema schema
        && AvroRecordEncoder.Supports(schema)
            ? schema
            : null;

    private static ContractDecodeException Classify(Exception ex, string topic, int schemaId)
    {
        if (ex is AvroException or SchemaParseException)
        {
            var reason =
                ex.Message.Contains("match", StringComparison.OrdinalIgnoreCase) || ex is AvroTypeException
                    ? DecodeFailure.IncompatibleSchema
                    : DecodeFailure.Malformed;
            return new ContractDecodeException(
                reason,
                $"Record on '{topic}' with schema id {schemaId} does not decode as {typeof(T).Name}: {ex.Message}",
                ex
            );
        }

        return new ContractDecodeException(
            DecodeFailure.Malformed,
            $"Record on '{topic}' with schema id {schemaId} has an undecodable Avro body: {ex.Message}",
            ex
        );
    }

    private static SchemaRegistryException? FindRegistryError(Exception? ex)
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is SchemaRegistryException registryError)
            {
                return registryError;
            }
        }

        return null;
    }
}
