using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Kafka;

/// <summary>Validates <see cref="KafkaOptions"/> at start-up with messages that name the configuration key.</summary>
public sealed class KafkaOptionsValidator : IValidateOptions<KafkaOptions>
{
    public ValidateOptionsResult Validate(string? name, KafkaOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.GroupId))
        {
            failures.Add("Kafka:GroupId must not be empty.");
        }

        if (!KeyPartitioner.Supported.Contains(options.Partitioner))
        {
            failures.Add(
                $"Kafka:Partitioner '{options.Partitioner}' is not one of "
                    + $"{string.Join(", ", KeyPartitioner.Supported)}: "
                    + "the worker checks each input record's partition against it."
            );
        }

        if (
            options.Producer.TryGetValue("partitioner", out var producerPartitioner)
            && producerPartitioner != options.Partitioner
        )
        {
            failures.Add(
                $"Kafka:Producer:partitioner '{producerPartitioner}' differs from Kafka:Partitioner "
                    + $"'{options.Partitioner}': set Kafka:Partitioner alone, every producer takes it."
            );
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, topic) in options.Topics.All())
        {
            var path = $"Kafka:Topics:{key}";
            if (string.IsNullOrWhiteSpace(topic.Name))
            {
                failures.Add($"{path}:Name must not be empty.");
            }
            else if (!names.Add(topic.Name))
            {
                failures.Add($"{path}:Name '{topic.Name}' is used by another topic.");
            }

            if (topic.Partitions is < 1 or > 10_000)
            {
                failures.Add($"{path}:Partitions must be between 1 and 10000 (was {topic.Partitions}).");
            }

            if (topic.ReplicationFactor is 0 or < -1)
            {
                failures.Add(
                    $"{path}:ReplicationFactor must be -1 (broker default) or at least 1 (was "
                        + $"{topic.ReplicationFactor})."
                );
            }
        }

        // Per-symbol state joins ticks and regimes by partition, so they must be co-partitioned.
        if (options.Topics.MarketTicks.Partitions != options.Topics.RegimeUpdates.Partitions)
        {
            failures.Add(
                $"Kafka:Topics:RegimeUpdates:Partitions ({options.Topics.RegimeUpdates.Partitions}) must equal "
                    + $"Kafka:Topics:MarketTicks:Partitions ({options.Topics.MarketTicks.Partitions}): the two "
                    + "topics are co-partitioned by symbol."
            );
        }

        // A symbol's state lives in the state partition with its input partition's number.
        if (options.Topics.InferenceState.Partitions != options.Topics.MarketTicks.Partitions)
        {
            failures.Add(
                $"Kafka:Topics:InferenceState:Partitions ({options.Topics.InferenceState.Partitions}) must equal "
                    + $"Kafka:Topics:MarketTicks:Partitions ({options.Topics.MarketTicks.Partitions}): state is kept "
                    + "per input partition."
            );
        }

        if (options.Topics.RegimeDetectorState.Partitions != options.Topics.MarketTicks.Partitions)
        {
            failures.Add(
                $"Kafka:Topics:RegimeDetectorState:Partitions ({options.Topics.RegimeDetectorState.Partitions}) must "
                    + $"equal Kafka:Topics:MarketTicks:Partitions ({options.Topics.MarketTicks.Partitions}): state is "
                    + "kept per input partition."
            );
        }

        if (options.Topics.SymbolObservations.Partitions != options.Topics.MarketTicks.Partitions)
        {
            failures.Add(
                $"Kafka:Topics:SymbolObservations:Partitions ({options.Topics.SymbolObservations.Partitions}) must "
                    + $"equal Kafka:Topics:MarketTicks:Partitions ({options.Topics.MarketTicks.Partitions}): a "
                    + "symbol's observations go to its input partition's number."
            );
        }

        if (options.Topics.Positions.Partitions != options.Topics.MarketTicks.Partitions)
        {
            failures.Add(
                $"Kafka:Topics:Positions:Partitions ({options.Topics.Positions.Partitions}) must equal "
                    + $"Kafka:Topics:MarketTicks:Partitions ({options.Topics.MarketTicks.Partitions}): a partition's "
                    + "positions and its progress go to its input partition's number, in decision order."
            );
        }

        if (options.Topics.Control.Partitions != 1)
        {
            failures.Add(
                $"Kafka:Topics:Control:Partitions ({options.Topics.Control.Partitions}) must be 1: every worker "
                    + "applies the control commands in one order."
            );
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
