using System.Collections.Concurrent;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Inference.Streaming.Worker.Kafka;

namespace Inference.Streaming.Worker.IntegrationTests.Hosting;

/// <summary>
/// An independent consumer of one topic from its start, in its own group, on its own thread: every record
/// decoded with the registry, kept with its partition under a (symbol, time) key the caller chooses.
/// </summary>
internal sealed class TopicWatch<T> : IDisposable
    where T : class, Avro.Specific.ISpecificRecord
{
    private readonly ConcurrentDictionary<(string, long), ConcurrentQueue<(T Value, int Partition)>> _seen = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;

    public TopicWatch(string bootstrap, string registryUrl, string topic, Func<T, (string Symbol, long TimeMs)> key) =>
        _reader = Task.Factory.StartNew(
            () =>
            {
                using var registry = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = registryUrl });
                var serde = new ContractSerde<T>(registry);
                using var consumer = new ConsumerBuilder<byte[]?, byte[]>(
                    new ConsumerConfig
                    {
                        BootstrapServers = bootstrap,
                        GroupId = "topic-watch-" + Guid.NewGuid().ToString("N"),
                        AutoOffsetReset = AutoOffsetReset.Earliest,
                        EnableAutoCommit = false,
                        TopicMetadataRefreshIntervalMs = 1000,
                    }
                ).Build();
                consumer.Subscribe(topic);
                while (!_stop.IsCancellationRequested)
                {
                    if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { Message.Value: { } value } record)
                    {
                        var decoded = serde.Deserialize(value, topic);
                        _seen.GetOrAdd(key(decoded), _ => new()).Enqueue((decoded, record.Partition.Value));
                    }
                }

                consumer.Close();
            },
            TaskCreationOptions.LongRunning
        );

    public int Count => _seen.Values.Sum(q => q.Count);

    /// <summary>Every record read so far, in no particular order.</summary>
    public IEnumerable<T> Values => _seen.Values.SelectMany(q => q.Select(r => r.Value));

    public bool Has(string symbol, long timeMs) => _seen.ContainsKey((symbol, timeMs));

    public IReadOnlyList<(T Value, int Partition)> All(string symbol, long timeMs) =>
        _seen.TryGetValue((symbol, timeMs), out var found) ? [.. found] : [];

    public void Dispose()
    {
        _stop.Cancel();
        _reader.Wait(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }

    public static long Ms(DateTime time) => new DateTimeOffset(time, TimeSpan.Zero).ToUnixTimeMilliseconds();
}
