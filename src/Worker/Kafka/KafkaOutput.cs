using Inference.Streaming.Worker.Diagnostics;

namespace Inference.Streaming.Worker.Kafka;

/// <summary>The one producer every publisher shares; flushed with a timeout when the host stops.</summary>
public sealed class KafkaOutput(IKafkaClientFactory clients, KafkaConnectivity connectivity, PipelineMetrics metrics)
    : IDisposable
{
    private readonly Lazy<Confluent.Kafka.IProducer<byte[]?, byte[]>> _producer = new(() =>
        clients.CreateProducer(
            "inference-streaming-worker",
            builder =>
                builder
                    .SetErrorHandler((_, error) => connectivity.OnError(error))
                    .SetStatisticsHandler(
                        (_, json) =>
                        {
                            if (ClientStatistics.ProducerRetries(json) is { } retries)
                            {
                                metrics.ProducerRetries(retries);
                            }
                        }
                    )
        )
    );

    public Confluent.Kafka.IProducer<byte[]?, byte[]> Producer => _producer.Value;

    public int Flush(TimeSpan timeout) => _producer.IsValueCreated ? _producer.Value.Flush(timeout) : 0;

    public void Dispose()
    {
        if (_producer.IsValueCreated)
        {
            _producer.Value.Flush(TimeSpan.FromSeconds(5));
            _producer.Value.Dispose();
        }
    }
}
