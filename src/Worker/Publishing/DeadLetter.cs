using Confluent.Kafka;

namespace Inference.Streaming.Worker.Publishing;

/// <summary>
/// What goes to the dead-letter topic: the record's coordinates, key, value and headers, why, and
/// optional extra headers (a failed decision names its symbol, bar and failure).
/// </summary>
public sealed record DeadLetter(
    string Topic,
    int Partition,
    long Offset,
    byte[]? Key,
    byte[]? Value,
    Headers? Headers,
    string Reason,
    string Detail,
    IReadOnlyList<(string Name, string Value)>? Extra = null
)
{
    /// <summary>An input record, byte for byte, with why it goes to the dead-letter topic.</summary>
    public static DeadLetter Of(ConsumeResult<byte[]?, byte[]> record, string reason, string detail) =>
        new(
            record.Topic,
            record.Partition.Value,
            record.Offset.Value,
            record.Message.Key,
            record.Message.Value,
            record.Message.Headers,
            reason,
            detail
        );
}
