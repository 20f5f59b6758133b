using System.Buffers.Binary;
using Avro;
using Avro.Specific;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Confluent.SchemaRegistry.Serdes;

namespace Inference.Streaming.Worker.Kafka;

/// <summary>
/// Avro with the Confluent wire format (magic byte 0, 4-byte schema id, Avro body) through
/// Confluent's own <see cref="AvroSerializer{T}"/> and <see cref="AvroDeserializer{T}"/>;
/// decoding failures become a typed <see cref="ContractDecodeException"/>.
/// </summary>
public sealed class ContractSerde<T>(ISchemaRegistryClient registry, AvroSerializerConfig? serializerConfig = null)
    where T : class, ISpecificRecord
{
    private readonly AvroSerializer<T> _serializer = new(registry, serializerConfig);
    private readonly AvroDeserializer<T> _deserializer = new(registry);

    public Task<byte[]> SerializeAsync(T value, string topic) =>
        _serializer.SerializeAsync(value, new SerializationContext(MessageComponentType.Value, topic));

    public async Task<T> DeserializeAsync(ReadOnlyMemory<byte> data, string topic)
    {
        if (data.Length < 5 || data.Span[0] != 0)
        {
            throw new ContractDecodeException(DecodeFailure.Malformed, $"Record on '{topic}' is not in the Confluent wire format ({data.Length} bytes, first byte {(data.Length > 0 ? data.Span[0] : -1)}).");
        }

        var schemaId = BinaryPrimitives.ReadInt32BigEndian(data.Span[1..5]);
        try
        {
            return await _deserializer.DeserializeAsync(data, isNull: false, new SerializationContext(MessageComponentType.Value, topic));
        }
        catch (Exception ex) when (FindRegistryError(ex) is { } registryError)
        {
            throw registryError.ErrorCode is 40403 or 404
                ? new ContractDecodeException(DecodeFailure.UnknownSchema, $"Record on '{topic}' names schema id {schemaId}, which the registry does not know.", ex)
                : new ContractDecodeException(DecodeFailure.RegistryUnavailable, $"Registry error {registryError.ErrorCode} for schema id {schemaId}: {registryError.Message}", ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            throw new ContractDecodeException(DecodeFailure.RegistryUnavailable, $"Schema registry unreachable while decoding schema id {schemaId}: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is AvroException or SchemaParseException)
        {
            var reason = ex.Message.Contains("match", StringComparison.OrdinalIgnoreCase) || ex is AvroTypeException
                ? DecodeFailure.IncompatibleSchema
                : DecodeFailure.Malformed;
            throw new ContractDecodeException(reason, $"Record on '{topic}' with schema id {schemaId} does not decode as {typeof(T).Name}: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is EndOfStreamException or InvalidDataException or IndexOutOfRangeException or ArgumentException or OverflowException or InvalidCastException)
        {
            throw new ContractDecodeException(DecodeFailure.Malformed, $"Record on '{topic}' with schema id {schemaId} has an undecodable Avro body: {ex.Message}", ex);
        }
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
