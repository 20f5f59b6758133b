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
);
