namespace Inference.Streaming.Worker.Kafka;

/// <summary>Why a record's bytes could not become a contract; the dead-letter reason.</summary>
public enum DecodeFailure
{
    /// <summary>Not the Confluent wire format, or the Avro body does not decode.</summary>
    Malformed,

    /// <summary>The schema id in the record is not in the registry.</summary>
    UnknownSchema,

    /// <summary>The writer schema cannot be read as the expected contract.</summary>
    IncompatibleSchema,

    /// <summary>The registry could not be asked (network, timeout).</summary>
    RegistryUnavailable,

    /// <summary>
    /// Decoding the body would pass a bound (nesting depth, items per byte, values visited, see
    /// <see cref="AvroBodyScanner"/>): what a recursive writer schema or a collection of items that
    /// take no bytes can claim.
    /// </summary>
    DecodeLimit,
}

/// <summary>A record that cannot be decoded; callers route it to the dead-letter topic.</summary>
public sealed class ContractDecodeException(DecodeFailure reason, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public DecodeFailure Reason { get; } = reason;

    /// <summary>Wire-friendly reason for the <c>dlq.reason</c> header.</summary>
    public string ReasonCode =>
        Reason switch
        {
            DecodeFailure.Malformed => "malformed",
            DecodeFailure.UnknownSchema => "unknown-schema",
            DecodeFailure.IncompatibleSchema => "incompatible-schema",
            DecodeFailure.DecodeLimit => "decode-limit",
            _ => "registry-unavailable",
        };
}
