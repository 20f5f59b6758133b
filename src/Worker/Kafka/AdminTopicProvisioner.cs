using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Inference.Streaming.Worker.Experiments;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Kafka;

/// <summary>
/// Creates missing topics on a real cluster through the AdminClient with the configured partitions,
/// replication and configs; fails start-up with a message naming the topic when it cannot.
/// </summary>
public sealed class AdminTopicProvisioner(
    IKafkaClientFactory clients,
    IOptions<KafkaOptions> options,
    ILogger<AdminTopicProvisioner> logger,
    IOptions<ExperimentOptions> experiments
) : ITopicProvisioner
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    public async Task EnsureTopicsAsync(CancellationToken cancellationToken)
    {
        var topics = options.Value.Topics;
        using var admin = clients.CreateAdminClient("inference-streaming-admin");
        Metadata metadata;
        try
        {
            metadata = admin.GetMetadata(Timeout);
        }
        catch (KafkaException ex)
        {
            throw new InvalidOperationException(
                $"Cannot reach Kafka at '{options.Value.BootstrapServers}' (Kafka:BootstrapServers): {ex.Error.Reason}",
                ex
            );
        }

        var existing = metadata
            .Topics.Where(t => t.Error.Code == ErrorCode.NoError)
            .ToDictionary(t => t.Topic, t => t.Partitions.Count, StringComparer.Ordinal);
        // A process creates the topics it uses: the regime service's changelog only in the regime service, where it
        // is also InferenceState; the shadow decisions' topic only for a shadow experiment.
        var missing = topics
            .All(includeRegimeDetectorState: false, includeShadow: experiments.Value.Mode == ExperimentMode.Shadow)
            .Where(t => !existing.ContainsKey(t.Topic.Name))
            .ToList();

        if (
            existing.TryGetValue(topics.MarketTicks.Name, out var ticks)
            && existing.TryGetValue(topics.RegimeUpdates.Name, out var regimes)
            && ticks != regimes
        )
        {
            throw new InvalidOperationException(
                $"Topics '{topics.MarketTicks.Name}' ({ticks} partitions) and '{topics.RegimeUpdates.Name}' "
                    + $"({regimes} partitions) must be co-partitioned: give them the same partition count."
            );
        }

        if (missing.Count == 0)
        {
            return;
        }

        var names = string.Join(", ", missing.Select(t => t.Topic.Name));
        if (!options.Value.CreateTopics)
        {
            throw new InvalidOperationException(
                $"Missing topics: {names}. Create them, or set Kafka:CreateTopics=true to let the worker create them."
            );
        }

        var specifications = missing
            .Select(t => new TopicSpecification
            {
                Name = t.Topic.Name,
                NumPartitions = t.Topic.Partitions,
                ReplicationFactor = t.Topic.ReplicationFactor,
                Configs = t.Topic.Config.Count == 0 ? null : new Dictionary<string, string>(t.Topic.Config),
            })
            .ToList();

        try
        {
            await admin.CreateTopicsAsync(
                specifications,
                new CreateTopicsOptions { RequestTimeout = Timeout, OperationTimeout = Timeout }
            );
            KafkaLog.TopicsCreated(logger, names);
        }
        catch (CreateTopicsException ex)
        {
            var failures = ex
                .Results.Where(r => r.Error.Code is not ErrorCode.NoError and not ErrorCode.TopicAlreadyExists)
                .ToList();
            if (failures.Count > 0)
            {
                var detail = string.Join("; ", failures.Select(r => $"'{r.Topic}': {r.Error.Reason} ({r.Error.Code})"));
                throw new InvalidOperationException(
                    $"Could not create Kafka topics ({detail}). Create them by hand with the partition counts of "
                        + "Kafka:Topics:*, or grant this client CreateTopics.",
                    ex
                );
            }
        }
        catch (KafkaException ex)
        {
            throw new InvalidOperationException(
                $"Could not create Kafka topics {names}: {ex.Error.Reason}. Create them by hand with the partition "
                    + "counts of Kafka:Topics:*.",
                ex
            );
        }
    }
}
