namespace Inference.Streaming.Worker.Kafka;

/// <summary>Makes sure the topics of <see cref="TopicsOptions"/> exist before any client uses them.</summary>
public interface ITopicProvisioner
{
    Task EnsureTopicsAsync(CancellationToken cancellationToken);
}
