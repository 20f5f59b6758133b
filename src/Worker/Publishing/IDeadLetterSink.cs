using Confluent.Kafka;

namespace Inference.Streaming.Worker.Publishing;

/// <summary>Where a record the stream cannot use goes, with why: the dead-letter topic in the worker.</summary>
public interface IDeadLetterSink
{
    /// <summary>Dead-letters <paramref name="record"/> byte for byte; its delivery is owed to
    /// <paramref name="source"/>.</summary>
    void Send(ConsumeResult<byte[]?, byte[]> record, string reason, string detail, IOutputTracker source);

    /// <summary>Dead-letters what the stream made of an input (a bar no model could decide).</summary>
    void Send(DeadLetter letter, IOutputTracker source);
}
