namespace Inference.Streaming.Worker.Kafka;

/// <summary>Where the cluster and registry are: configured, or the embedded ones once started.</summary>
public interface IKafkaEndpoints
{
    string BootstrapServers { get; }

    string SchemaRegistryUrl { get; }
}
