using System.Diagnostics.Metrics;
using System.Text;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Kafka;
using Inference.Streaming.Worker.Publishing;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Fleet;

/// <summary>
/// Keeps this instance's <see cref="PositionsBook"/> whole: reads every partition of the positions topic from the
/// beginning and follows it (as Kafka Streams' GlobalKTable does), applying every instance's positions and progress,
/// its own included (the same position twice is one). Does nothing unless <c>Risk:Sectors</c> maps symbols.
/// </summary>
public sealed class PositionsReader : BackgroundService
{
    private readonly PositionsBook _book;
    private readonly IKafkaClientFactory _clients;
    private readonly IOptions<KafkaOptions> _kafka;
    private readonly ContractSerde<PositionUpdate> _serde;
    private readonly ILogger<PositionsReader> _logger;
    private readonly Counter<long> _read;

    public PositionsReader(
        PositionsBook book,
        IKafkaClientFactory clients,
        ISchemaRegistryClient registry,
        IOptions<KafkaOptions> kafka,
        IMeterFactory meters,
        ILogger<PositionsReader> logger
    )
    {
        (_book, _clients, _kafka, _logger) = (book, clients, kafka, logger);
        _serde = new ContractSerde<PositionUpdate>(registry);
        var meter = meters.Create(PipelineMetrics.MeterName);
        _read = meter.CreateCounter<long>(
            "inference_book_positions_read",
            "{record}",
            "Positions-table records applied to this instance's book (kind: position, progress, tombstone, skipped)"
        );
        meter.CreateObservableGauge(
            "inference_book_positions",
            () => _book.Size().Positions,
            "{position}",
            "Positions this instance's book holds (every mapped symbol's recent positions)"
        );
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        !_book.Enabled
            ? Task.CompletedTask
            : Task.Factory.StartNew(
                () => Run(stoppingToken),
                stoppingToken,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default
            );

    private void Run(CancellationToken stoppingToken)
    {
        var topic = _kafka.Value.Topics.Positions;
        try
        {
            using var reader = _clients.CreateReader("inference-book-positions");
            reader.Assign(
                Enumerable
                    .Range(0, topic.Partitions)
                    .Select(p => new TopicPartitionOffset(topic.Name, new Partition(p), Offset.Beginning))
            );
            while (!stoppingToken.IsCancellationRequested)
            {
                if (reader.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false } result)
                {
                    Apply(result);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
        catch (Exception ex)
        {
            FleetLog.PositionsReaderFailed(_logger, topic.Name, ex);
        }
    }

    private void Apply(ConsumeResult<byte[]?, byte[]> result)
    {
        var key = result.Message.Key is { } bytes ? Encoding.UTF8.GetString(bytes) : null;
        if (key is null)
        {
            Skip(result, "a record without a key");
            return;
        }

        if (result.Message.Value is null)
        {
            _book.Forget(key);
            _read.Add(1, new KeyValuePair<string, object?>("kind", "tombstone"));
            return;
        }

        PositionUpdate update;
        try
        {
            update = _serde.Deserialize(result.Message.Value, result.Topic);
        }
        catch (ContractDecodeException ex)
        {
            Skip(result, ex.Message);
            return;
        }

        // A NaN or infinite position would poison every sum the book makes (or overflow its exact arithmetic).
        if (FiniteCheck.FirstNonFinite(update) is { } field)
        {
            Skip(result, $"'{field}' is not finite");
            return;
        }

        if (update.input_partition != result.Partition.Value)
        {
            Skip(result, $"input partition {update.input_partition} on partition {result.Partition.Value}");
            return;
        }

        if (update.position is { } position && position.symbol == key)
        {
            _book.Record(PositionEntry.From(position));
            _read.Add(1, new KeyValuePair<string, object?>("kind", "position"));
        }
        else if (
            update.decided_through_ms is { } through
            && key == PositionsPublisher.ProgressKey(update.input_partition)
        )
        {
            _book.Advance(update.input_partition, through);
            _read.Add(1, new KeyValuePair<string, object?>("kind", "progress"));
        }
        else
        {
            Skip(result, "neither a position under its symbol's key nor a progress record under its partition's");
        }
    }

    private void Skip(ConsumeResult<byte[]?, byte[]> result, string why)
    {
        _read.Add(1, new KeyValuePair<string, object?>("kind", "skipped"));
        FleetLog.PositionSkipped(_logger, result.Topic, result.Partition.Value, result.Offset.Value, why);
    }
}
