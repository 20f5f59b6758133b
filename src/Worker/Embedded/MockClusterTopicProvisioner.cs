using Inference.Streaming.Worker.Kafka;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Embedded;

/// <summary>
/// Creates the topics on the embedded broker with the mock cluster's own call: the mock has no
/// CreateTopics admin API (docs/design.md, Platform facts).
/// </summary>
public sealed class MockClusterTopicProvisioner(EmbeddedKafka embedded, IOptions<KafkaOptions> options)
    : ITopicProvisioner
{
    public Task EnsureTopicsAsync(CancellationToken cancellationToken)
    {
        foreach (var (_, topic) in options.Value.Topics.All())
        {
            embedded.Cluster.CreateTopic(topic.Name, topic.Partitions, topic.ReplicationFactor);
        }

        return Task.CompletedTask;
    }
}
