using System.Diagnostics.Metrics;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Kafka;
using Inference.Streaming.Worker.State;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Fleet;

/// <summary>
/// The fleet's read model, as Kafka Streams' GlobalKTable is: reads every partition of
/// <c>symbol-observations</c> from the beginning (the topic is compacted: the latest bars of every symbol)
/// into the <see cref="SymbolDirectory"/>, and keeps following it, so this instance answers predict for every
/// symbol any instance holds, with the owner's row, regime and portfolio. It is caught up once it has read to
/// the end offsets the topic had when it started; until then a predict for a symbol it does not hold yet is a
/// 503 with <c>Retry-After</c> (not a 404), and the instance is not ready.
/// </summary>
public sealed class ObservationReplica : BackgroundService, IHealthCheck
{
    private readonly SymbolDirectory _directory;
    private readonly IKafkaClientFactory _clients;
    private readonly IOptions<KafkaOptions> _kafka;
    private readonly ContractSerde<SymbolObservation> _serde;
    private readonly ILogger<ObservationReplica> _logger;
    private readonly byte[] _run;
    private readonly Counter<long> _records;
    private readonly Counter<long> _skipped;
    private volatile bool _caughtUp;

    public ObservationReplica(
        SymbolDirectory directory,
        IKafkaClientFactory clients,
        ISchemaRegistryClient registry,
        IOptions<KafkaOptions> kafka,
        IMeterFactory meters,
        ILogger<ObservationReplica> logger,
        InstanceName instance
    )
    {
        _directory = directory;
        _run = instance.Run;
        _clients = clients;
        _kafka = kafka;
        _serde = new ContractSerde<SymbolObservation>(registry);
        _logger = logger;
        var meter = meters.Create(PipelineMetrics.MeterName);
        _records = meter.CreateCounter<long>(
            "inference_fleet_observations_read",
            "{record}",
            "symbol-observations records applied to this instance's read model"
        );
        _skipped = meter.CreateCounter<long>(
            "inference_fleet_observations_skipped",
            "{record}",
            "symbol-observations records this instance could not use (undecodable or invalid)"
        );
        meter.CreateObservableGauge(
            "inference_fleet_symbols",
            () => _directory.Count,
            "{symbol}",
            "Symbols this instance can answer predict for: its own and the fleet's"
        );
    }

    /// <summary>True once the read model holds everything the topic held when this instance started.</summary>
    public bool IsCaughtUp => _caughtUp;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(
            () => Run(stoppingToken),
            stoppingToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default
        );

    private void Run(CancellationToken stoppingToken)
    {
        var topic = _kafka.Value.Topics.SymbolObservations;
        try
        {
            using var reader = _clients.CreateReader("inference-fleet-observations");
            var partitions = Enumerable
                .Range(0, topic.Partitions)
                .Select(p => new TopicPartition(topic.Name, new Partition(p)))
                .ToList();
            // Where "caught up" is: the end of each partition now (a partition not there yet has nothing to read).
            var pending = new Dictionary<int, long>();
            foreach (var partition in partitions)
            {
                var end = Watermark(reader, partition, stoppingToken);
                if (end > 0)
                {
                    pending[partition.Partition.Value] = end;
                }
            }

            reader.Assign(partitions.Select(p => new TopicPartitionOffset(p, Offset.Beginning)));
            MarkCaughtUp(pending);
            while (!stoppingToken.IsCancellationRequested)
            {
                var result = reader.Consume(TimeSpan.FromMilliseconds(200));
                if (result is null)
                {
                    continue;
                }

                if (!result.IsPartitionEOF)
                {
                    Apply(result);
                }

                var partition = result.Partition.Value;
                if (
                    pending.TryGetValue(partition, out var target)
                    && result.Offset.Value + (result.IsPartitionEOF ? 0 : 1) >= target
                )
                {
                    pending.Remove(partition);
                    MarkCaughtUp(pending);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
        catch (Exception ex)
        {
            // The stream does not depend on the read model: log, and leave the instance not ready.
            FleetLog.ObservationReplicaFailed(_logger, topic.Name, ex);
            _caughtUp = false;
        }
    }

    private static long Watermark(IConsumer<byte[]?, byte[]> reader, TopicPartition partition, CancellationToken stop)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return reader.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(5)).High.Value;
            }
            catch (KafkaException) when (attempt < 5 && !stop.IsCancellationRequested)
            {
                stop.WaitHandle.WaitOne(TimeSpan.FromSeconds(1));
            }
            catch (KafkaException ex) when (ex.Error.Code == ErrorCode.UnknownTopicOrPart)
            {
                return 0;
            }
        }
    }

    private void MarkCaughtUp(Dictionary<int, long> pending)
    {
        if (pending.Count == 0 && !_caughtUp)
        {
            _caughtUp = true;
            FleetLog.ObservationReplicaCaughtUp(_logger, _directory.Count);
        }
    }

    private void Apply(ConsumeResult<byte[]?, byte[]> result)
    {
        if (
            result.Message.Headers is { } headers
            && headers.TryGetLastBytes(ReplicatingObservationSink.RunHeader, out var run)
            && run.AsSpan().SequenceEqual(_run)
        )
        {
            // Written by this run, which put it into the directory as it wrote it: nothing to decode or apply. A
            // restarted instance is a new run, and reads what it wrote before.
            _records.Add(1);
            return;
        }

        var symbol = result.Message.Key is { } key ? System.Text.Encoding.UTF8.GetString(key) : null;
        if (symbol is null)
        {
            Skip(result, "a record without a key");
            return;
        }

        if (result.Message.Value is null)
        {
            // The owner evicted it; a symbol that moved partitions since is the new partition's to remove.
            if (_directory.PartitionOf(symbol) == result.Partition.Value)
            {
                _directory.Remove(symbol);
            }

            _records.Add(1);
            return;
        }

        SymbolObservation record;
        try
        {
            record = _serde.Deserialize(result.Message.Value, result.Topic);
        }
        catch (ContractDecodeException ex)
        {
            Skip(result, ex.Message);
            return;
        }

        if (ObservationCodec.FromRecord(record, Observation.Width, out var problem) is not { } snapshot)
        {
            Skip(result, problem!);
            return;
        }

        if (snapshot.Symbol != symbol)
        {
            Skip(result, $"a record for '{snapshot.Symbol}' under the key '{symbol}'");
            return;
        }

        _directory.Publish(snapshot);
        _records.Add(1);
    }

    private void Skip(ConsumeResult<byte[]?, byte[]> result, string why)
    {
        _skipped.Add(1);
        FleetLog.ObservationSkipped(_logger, result.Topic, result.Partition.Value, result.Offset.Value, why);
    }

    public Task<HealthCheckResult> CheckHealthAsync(
        HealthCheckContext context,
        CancellationToken cancellationToken = default
    ) =>
        Task.FromResult(
            _caughtUp
                ? HealthCheckResult.Healthy($"fleet read model caught up ({_directory.Count} symbols)")
                : HealthCheckResult.Unhealthy("fleet read model still reading symbol-observations")
        );
}
