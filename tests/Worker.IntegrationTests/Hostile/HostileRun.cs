using System.Text;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Worker.IntegrationTests.Hosting;
using Inference.Streaming.Worker.IntegrationTests.Kafka;
using Inference.Streaming.Worker.IntegrationTests.State;
using Inference.Streaming.Worker.Kafka;

namespace Inference.Streaming.Worker.IntegrationTests.Hostile;

/// <summary>
/// One worker process over the harness's honest market with hostile records mixed in: its
/// decisions, its dead letters (with headers) and its output, read back by independent clients.
/// </summary>
internal sealed class HostileRun(KafkaFixture kafka, string name)
{
    private readonly StreamHarness _harness = new(kafka);

    public string Ticks { get; private set; } = string.Empty;

    public string Regimes { get; private set; } = string.Empty;

    public (string Decisions, string Forensics, string State, string DeadLetters, string Group) Topics
    {
        get;
        private set;
    }

    public ContractSerde<MarketTick> TickSerde { get; } = new(kafka.Registry);

    public ContractSerde<RegimeUpdate> RegimeSerde { get; } = new(kafka.Registry);

    /// <summary>
    /// The input partition the producer's partitioner gives <paramref name="key"/>, found by producing
    /// it to a scratch topic with the same partition count.
    /// </summary>
    public async Task<Partition> PartitionOfAsync(string key)
    {
        var scratch = await kafka.CreateTopicAsync($"{name}-probe", 3);
        using var producer = kafka.CreateProducer();
        var delivered = await producer.ProduceAsync(scratch, new Message<string, byte[]> { Key = key, Value = [] });
        return delivered.Partition;
    }

    public async Task CreateTopicsAsync()
    {
        Ticks = await kafka.CreateTopicAsync($"{name}-ticks", 3);
        Regimes = await kafka.CreateTopicAsync($"{name}-regimes", 3);
        Topics = await _harness.Topics(name);
    }

    /// <summary>The honest market with <paramref name="inject"/> before each round, then the worker over all of
    /// it.</summary>
    public async Task<WorkerProcess> RunAsync(
        Func<int, IProducer<string, byte[]>, Task>? inject,
        params string[] settings
    )
    {
        await ProduceAsync(inject);
        return await StartAsync(settings);
    }

    /// <summary>The honest market with <paramref name="inject"/> before each round.</summary>
    public Task ProduceAsync(Func<int, IProducer<string, byte[]>, Task>? inject) =>
        _harness.ProduceAsync(Ticks, Regimes, TimeSpan.FromSeconds(2), inject);

    /// <summary>The worker over the run's topics.</summary>
    public Task<WorkerProcess> StartAsync(params string[] settings) =>
        _harness.StartAsync(Ticks, Regimes, Topics, "00:00:00.250", settings);

    /// <summary>Registers <paramref name="schema"/> as a new version of the run's tick subject; its id.</summary>
    public Task<int> RegisterTickSchemaAsync(string schema) =>
        kafka.Registry.RegisterSchemaAsync($"{Ticks}-value", new Schema(schema, SchemaType.Avro));

    public Task<List<TradingDecision>> DecisionsAsync(int expected) => _harness.ReadAsync(Topics, expected);

    public async Task<byte[]> TickAsync(string symbol, DateTimeOffset time, double price = 100, double size = 1) =>
        await TickSerde.SerializeAsync(
            new MarketTick
            {
                symbol = symbol,
                event_time = time.UtcDateTime,
                price = price,
                size = size,
            },
            Ticks
        );

    public async Task<byte[]> RegimeAsync(
        string symbol,
        DateTimeOffset time,
        double bull,
        double bear,
        double sideways,
        double? entropy = null
    ) =>
        await RegimeSerde.SerializeAsync(
            new RegimeUpdate
            {
                symbol = symbol,
                event_time = time.UtcDateTime,
                bull = bull,
                bear = bear,
                sideways = sideways,
                entropy = entropy,
                detector = "attack",
                detector_version = "1",
            },
            Regimes
        );

    /// <summary>Every forensics record on the run's topic (read until nothing more arrives for 3 s).</summary>
    public async Task<List<DecisionForensics>> ForensicsAsync() =>
        await ReadAllAsync(Topics.Forensics, new ContractSerde<DecisionForensics>(kafka.Registry));

    /// <summary>Keys of the tombstones (null values) on the run's state topic.</summary>
    public async Task<List<string>> StateTombstonesAsync()
    {
        var keys = new List<string>();
        foreach (var record in await ReadRawAsync(Topics.State))
        {
            if (record.Message.Value is null)
            {
                keys.Add(Encoding.UTF8.GetString(record.Message.Key!));
            }
        }

        return keys;
    }

    private async Task<List<T>> ReadAllAsync<T>(string topic, ContractSerde<T> serde)
        where T : class, Avro.Specific.ISpecificRecord
    {
        var values = new List<T>();
        foreach (var record in await ReadRawAsync(topic))
        {
            values.Add(await serde.DeserializeAsync(record.Message.Value!, topic));
        }

        return values;
    }

    /// <summary>A consumer of raw records, assigned partitions by its caller (no group, nothing committed).</summary>
    private IConsumer<byte[]?, byte[]?> RawReader() =>
        new ConsumerBuilder<byte[]?, byte[]?>(
            new ConsumerConfig
            {
                BootstrapServers = kafka.BootstrapServers,
                GroupId = "read-" + Guid.NewGuid().ToString("N"),
                EnableAutoCommit = false,
            }
        ).Build();

    private Task<List<ConsumeResult<byte[]?, byte[]?>>> ReadRawAsync(string topic)
    {
        var records = new List<ConsumeResult<byte[]?, byte[]?>>();
        using var consumer = RawReader();
        kafka.AssignFromStart(consumer, topic);
        var quietSince = DateTime.UtcNow;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && DateTime.UtcNow - quietSince < TimeSpan.FromSeconds(3))
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } record)
            {
                records.Add(record);
                quietSince = DateTime.UtcNow;
            }
        }

        consumer.Close();
        return Task.FromResult(records);
    }

    /// <summary>Reads the dead-letter topic until <paramref name="expected"/> records arrived and nothing more for a
    /// while.</summary>
    public async Task<List<ConsumeResult<byte[]?, byte[]?>>> DeadLettersAsync(int expected, TimeSpan? quiet = null)
    {
        var letters = new List<ConsumeResult<byte[]?, byte[]?>>();
        using var consumer = RawReader();
        kafka.AssignFromStart(consumer, Topics.DeadLetters);
        var deadline = DateTime.UtcNow.AddSeconds(90);
        var quietSince = DateTime.UtcNow;
        var wait = quiet ?? TimeSpan.FromSeconds(3);
        while (DateTime.UtcNow < deadline && (letters.Count < expected || DateTime.UtcNow - quietSince < wait))
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } record)
            {
                letters.Add(record);
                quietSince = DateTime.UtcNow;
            }
        }

        consumer.Close();
        return letters;
    }

    public static string? Header(ConsumeResult<byte[]?, byte[]?> letter, string key) =>
        letter.Message.Headers.TryGetLastBytes(key, out var bytes) ? Encoding.UTF8.GetString(bytes) : null;

    public static int HeaderCount(ConsumeResult<byte[]?, byte[]?> letter, string key) =>
        letter.Message.Headers.Count(h => h.Key == key);

    /// <summary>Reads the worker's Prometheus text at <c>/metrics</c>.</summary>
    public static async Task<string> MetricsAsync(WorkerProcess worker)
    {
        using var http = new HttpClient { BaseAddress = new Uri(worker.Banner["api"]) };
        return await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
    }
}
