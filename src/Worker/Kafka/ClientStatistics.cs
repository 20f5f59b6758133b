using System.Text.Json;

namespace Inference.Streaming.Worker.Kafka;

/// <summary>
/// What the worker reads from librdkafka's statistics (<c>statistics.interval.ms</c>, a JSON document per interval:
/// <see href="https://github.com/confluentinc/librdkafka/blob/master/STATISTICS.md"/>).
/// </summary>
public static class ClientStatistics
{
    /// <summary>The total of the brokers' <c>txretries</c> in a producer's statistics; null when the document has no
    /// brokers (none known yet).</summary>
    public static long? ProducerRetries(string statisticsJson)
    {
        using var document = JsonDocument.Parse(statisticsJson);
        if (!document.RootElement.TryGetProperty("brokers", out var brokers))
        {
            return null;
        }

        long retries = 0;
        foreach (var broker in brokers.EnumerateObject())
        {
            if (broker.Value.TryGetProperty("txretries", out var value))
            {
                retries += value.GetInt64();
            }
        }

        return retries;
    }
}
