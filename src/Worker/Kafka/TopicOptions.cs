namespace Inference.Streaming.Worker.Kafka;

/// <summary>One topic: its name, partition count, replication and topic-level configs.</summary>
public sealed class TopicOptions
{
    public string Name { get; set; } = string.Empty;

    public int Partitions { get; set; } = 6;

    /// <summary>-1 takes the broker's default (KIP-464); the embedded broker caps it at its broker count.</summary>
    public short ReplicationFactor { get; set; } = -1;

    /// <summary>Topic-level configs, e.g. <c>cleanup.policy</c>.</summary>
    public Dictionary<string, string> Config { get; set; } = [];
}
