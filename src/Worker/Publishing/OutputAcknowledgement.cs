using Confluent.Kafka;
using Inference.Streaming.Worker.Kafka;

namespace Inference.Streaming.Worker.Publishing;

/// <summary>What a delivery report of an output record does to the input record that owes it.</summary>
public static class OutputAcknowledgement
{
    /// <summary>
    /// Produces one output owed to <paramref name="source"/>: announced before the producer takes it, withdrawn when
    /// the producer refuses it at once (its delivery handler then never runs), and completed or failed by
    /// <paramref name="delivered"/>, which must end in <see cref="Record"/> (or complete the output itself).
    /// </summary>
    public static void Produce(
        IProducer<byte[]?, byte[]> producer,
        TopicPartition destination,
        Message<byte[]?, byte[]> message,
        IOutputTracker source,
        Action<DeliveryReport<byte[]?, byte[]>> delivered
    )
    {
        source.AddPending(1);
        try
        {
            producer.Produce(destination, message, delivered);
        }
        catch
        {
            source.Complete();
            throw;
        }
    }

    /// <summary>
    /// Acknowledged: the broker is reachable and the input has one output less to wait for. Lost: logged,
    /// and the input fails, so its offset is not stored and a restart processes it again.
    /// </summary>
    /// <returns>Whether the record was acknowledged.</returns>
    public static bool Record(
        DeliveryReport<byte[]?, byte[]> report,
        IOutputTracker source,
        KafkaConnectivity connectivity,
        ILogger logger
    )
    {
        if (report.Error.IsError)
        {
            KafkaLog.DeliveryFailed(logger, report.Topic, report.Error.Reason);
            source.Fail();
            return false;
        }

        connectivity.OnReachable();
        source.Complete();
        return true;
    }
}
