using System.Collections.Concurrent;
using Confluent.Kafka;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.PredictApi;
using Inference.Streaming.Worker.Kafka;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Fleet;

/// <summary>
/// Cluster-wide control: <c>POST /api/v1/models/promote</c> and <c>reload</c> become commands on the
/// compacted, single-partition control topic (<c>{Kafka:GroupId}-control</c>), and every instance applies every command
/// in the topic's order, the one that took the call included (it answers once it has applied its own command, so the
/// caller reads what it wrote). The control generation is the offset of the last command applied plus one: the same
/// number on every instance that has applied the same commands, reported by <c>GET /api/v1/models</c> and stamped on
/// each forensics record. At start the topic is read to its end before the host goes on, so a restarted or new instance
/// decides its first bar in the fleet's roles.
/// </summary>
public sealed class ClusterControl(
    ModelRoles roles,
    IKafkaClientFactory clients,
    IOptions<KafkaOptions> kafka,
    InstanceName instance,
    TimeProvider time,
    ILogger<ClusterControl> logger
) : BackgroundService, IHealthCheck
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ApplyTimeout = TimeSpan.FromSeconds(60);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<Exception?>> _pending = new(
        StringComparer.Ordinal
    );
    private readonly Lazy<IProducer<byte[]?, byte[]>> _producer = new(() =>
        clients.CreateStandaloneProducer("inference-control")
    );
    private IConsumer<byte[]?, byte[]>? _reader;
    private volatile string? _lastError;
    private volatile bool _failed;

    private string Topic => kafka.Value.Topics.Control.Name;

    /// <summary>The generation this instance has applied.</summary>
    public long Generation => roles.Current.Generation;

    /// <summary>Why the last command could not be applied here, if it could not.</summary>
    public string? LastError => _lastError;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var reader = clients.CreateReader("inference-control");
        _reader = reader;
        var partition = new TopicPartition(Topic, new Partition(0));
        await Task.Run(() => CatchUp(reader, partition, cancellationToken), cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    private void CatchUp(IConsumer<byte[]?, byte[]> reader, TopicPartition partition, CancellationToken stop)
    {
        var deadline = time.GetTimestamp() + (long)(StartTimeout.TotalSeconds * time.TimestampFrequency);
        long end;
        while (true)
        {
            try
            {
                end = reader.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(5)).High.Value;
                break;
            }
            catch (KafkaException ex) when (time.GetTimestamp() < deadline && !stop.IsCancellationRequested)
            {
                FleetLog.ControlTopicUnavailable(logger, Topic, ex.Error.Reason);
                stop.WaitHandle.WaitOne(TimeSpan.FromSeconds(1));
            }
        }

        reader.Assign(new TopicPartitionOffset(partition, Offset.Beginning));
        var position = 0L;
        while (position < end)
        {
            stop.ThrowIfCancellationRequested();
            if (time.GetTimestamp() > deadline)
            {
                throw new InvalidOperationException(
                    $"Could not read the control topic '{Topic}' to its end ({position} of {end}) within "
                        + $"{StartTimeout.TotalSeconds:0} s: the worker does not start in roles it cannot know."
                );
            }

            var result = reader.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null)
            {
                continue;
            }

            position = result.Offset.Value + (result.IsPartitionEOF ? 0 : 1);
            if (!result.IsPartitionEOF)
            {
                ApplyAsync(result, live: false).GetAwaiter().GetResult();
            }
        }

        FleetLog.ControlCaughtUp(logger, Topic, Generation, roles.Current.Promotions);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(
            () => Follow(stoppingToken),
            stoppingToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default
        );

    private void Follow(CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var result = _reader!.Consume(TimeSpan.FromMilliseconds(200));
                if (result is { IsPartitionEOF: false })
                {
                    ApplyAsync(result, live: true).GetAwaiter().GetResult();
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
        catch (Exception ex)
        {
            _failed = true;
            FleetLog.ControlFailed(logger, Topic, ex);
        }
    }

    private async Task ApplyAsync(ConsumeResult<byte[]?, byte[]> result, bool live)
    {
        var generation = result.Offset.Value + 1;
        if (ControlCommand.Parse(result.Message.Value, out var problem) is not { } command)
        {
            FleetLog.ControlSkipped(logger, Topic, result.Offset.Value, problem!);
            return;
        }

        Exception? failure = null;
        try
        {
            if (command.Command == ControlCommand.Promote)
            {
                roles.Apply(command.Promotions!.Value, generation, command.IssuedAt);
            }
            else
            {
                // A reload issued before this instance started is in the files it loaded at start.
                if (live)
                {
                    await roles.ReloadAsync(CancellationToken.None);
                }

                roles.Apply(roles.Current.Promotions, generation, roles.Current.PromotedAt);
            }

            _lastError = null;
        }
        catch (Exception ex) when (ex is ModelReloadException or InvalidOperationException)
        {
            failure = ex;
            // A refused reload still moves the generation: every instance heard the command, and keeps its set.
            if (ex is ModelReloadException)
            {
                roles.Apply(roles.Current.Promotions, generation, roles.Current.PromotedAt);
            }

            _lastError = $"{command.Command} at generation {generation}: {ex.Message}";
            FleetLog.ControlNotApplied(logger, command.Command, generation, ex.Message);
        }

        FleetLog.ControlApplied(logger, command.Command, generation, command.IssuedBy, roles.Current.Promotions);
        if (_pending.TryRemove(command.Id, out var waiter))
        {
            waiter.TrySetResult(failure);
        }
    }

    /// <summary>Issues a promotion for the fleet and waits until this instance has applied it.</summary>
    /// <exception cref="InvalidOperationException">The challenger cannot be promoted here (nothing is issued).
    /// </exception>
    public Task PromoteAsync(CancellationToken cancellationToken)
    {
        if (roles.PromotionRefusal() is { } refusal)
        {
            throw new InvalidOperationException(refusal);
        }

        return IssueAsync(ControlCommand.Promote, roles.Current.Promotions + 1, cancellationToken);
    }

    /// <summary>Issues a reload for the fleet and waits until this instance has applied it.</summary>
    /// <exception cref="ModelReloadException">This instance's reload was refused or failed.</exception>
    public Task ReloadAsync(CancellationToken cancellationToken) =>
        IssueAsync(ControlCommand.Reload, null, cancellationToken);

    private async Task IssueAsync(string kind, int? promotions, CancellationToken cancellationToken)
    {
        if (_failed)
        {
            throw new ControlUnavailableException($"This instance stopped reading '{Topic}'; see its log.");
        }

        var command = new ControlCommand(kind, Guid.NewGuid().ToString("N"), instance.Value, time.GetUtcNow())
        {
            Promotions = promotions,
        };
        var applied = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[command.Id] = applied;
        try
        {
            try
            {
                await _producer.Value.ProduceAsync(
                    Topic,
                    new Message<byte[]?, byte[]>
                    {
                        Key = System.Text.Encoding.UTF8.GetBytes(command.Key),
                        Value = command.ToBytes(),
                    },
                    cancellationToken
                );
            }
            catch (ProduceException<byte[]?, byte[]> ex)
            {
                throw new ControlUnavailableException(
                    $"The {kind} could not be written to '{Topic}': {ex.Error.Reason}"
                );
            }

            Exception? failure;
            try
            {
                failure = await applied.Task.WaitAsync(ApplyTimeout, cancellationToken);
            }
            catch (TimeoutException)
            {
                throw new ControlUnavailableException(
                    $"The {kind} was written to '{Topic}' but this instance had not applied it after "
                        + $"{ApplyTimeout.TotalSeconds:0} s; every instance applies it when it reads it."
                );
            }

            if (failure is not null)
            {
                throw failure;
            }
        }
        finally
        {
            _pending.TryRemove(command.Id, out _);
        }
    }

    private static readonly TimeSpan ReaderCloseTimeout = TimeSpan.FromSeconds(5);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_reader is { } reader)
        {
            // base.StopAsync returns once the host's shutdown time is up, whether or not the follower has: the reader
            // is closed only after its last Consume has returned (a close beside a poll of the same consumer is a
            // use after free in librdkafka; CI's test host aborted with a corrupted heap).
            var following = ExecuteTask ?? Task.CompletedTask;
            // librdkafka's consumer close can block (seen in CI: a test host's shutdown hung in consumer_close
            // after its embedded broker had gone). The reader commits nothing, so the host does not wait for it.
            var closing = Task.Run(
                async () =>
                {
                    try
                    {
                        await following.ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        // The follower never started: nothing polls the reader.
                    }

                    reader.Close();
                    reader.Dispose();
                },
                CancellationToken.None
            );
            if (await Task.WhenAny(closing, Task.Delay(ReaderCloseTimeout, CancellationToken.None)) != closing)
            {
                FleetLog.ControlReaderNotClosed(logger, Topic, ReaderCloseTimeout.TotalSeconds);
            }
        }

        if (_producer.IsValueCreated)
        {
            _producer.Value.Dispose();
        }
    }

    public Task<HealthCheckResult> CheckHealthAsync(
        HealthCheckContext context,
        CancellationToken cancellationToken = default
    ) =>
        Task.FromResult(
            _failed
                ? HealthCheckResult.Unhealthy($"stopped reading {Topic}: promotions and reloads no longer reach it")
                : HealthCheckResult.Healthy($"control generation {Generation}")
        );
}
