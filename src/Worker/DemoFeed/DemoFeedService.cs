using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Regimes;
using Inference.Streaming.Engine.Simulation;
using Inference.Streaming.Worker.Kafka;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.DemoFeed;

/// <summary>
/// Publishes the simulated market into the broker through real Kafka producers: ticks to
/// <c>market-ticks</c>, and (unless <see cref="DemoFeedOptions.PublishRegimes"/> is off) the rule-based
/// detector's <see cref="RegimeUpdate"/>s for each simulated bar to <c>regime-updates</c>. Event times
/// come from the simulation's clock.
/// </summary>
public sealed class DemoFeedService(
    IKafkaClientFactory clients,
    ISchemaRegistryClient registry,
    IOptions<DemoFeedOptions> options,
    IOptions<FeatureOptions> features,
    IOptions<KafkaOptions> kafka,
    ILogger<DemoFeedService> logger,
    IOptions<SchemaRegistryOptions> registryOptions
) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(
            () => Run(stoppingToken),
            stoppingToken,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default
        );

    private void Run(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var topics = kafka.Value.Topics;
        var simulator = new MarketSimulator(
            settings.Symbols,
            settings.Seed,
            settings.Start,
            settings.SimulatedTickInterval
        );
        var barMs = (long)features.Value.BarInterval.TotalMilliseconds;
        var bars = settings.Symbols.Select(_ => new BarBuilder(barMs)).ToArray();
        var detectors = settings.Symbols.Select(_ => new RuleBasedRegimeDetector()).ToArray();
        var publishRegimes = settings.PublishRegimes ?? true;
        var tickSerde = new ContractSerde<MarketTick>(
            registry,
            SchemaRegistryClients.SerializerConfig(registryOptions.Value)
        );
        var regimeSerde = new ContractSerde<RegimeUpdate>(
            registry,
            SchemaRegistryClients.SerializerConfig(registryOptions.Value)
        );
        using var producer = clients.CreateProducer("inference-demo-feed");
        DemoFeedLog.DemoFeedStarted(
            logger,
            settings.Symbols.Length,
            settings.TicksPerSecond,
            settings.Seed,
            topics.MarketTicks.Name
        );

        var clock = Stopwatch.StartNew();
        long sent = 0;
        for (
            long round = 0;
            !stoppingToken.IsCancellationRequested
                && (settings.MaxTicksPerSymbol == 0 || round < settings.MaxTicksPerSymbol);
            round++
        )
        {
            foreach (var (tick, i) in simulator.NextRound().Select((t, i) => (t, i)))
            {
                var key = Encoding.UTF8.GetBytes(tick.Symbol);
                var message = tick.ToContract();
                Produce(
                    producer,
                    topics.MarketTicks.Name,
                    key,
                    tickSerde.Serialize(message, topics.MarketTicks.Name),
                    stoppingToken
                );
                if (
                    bars[i].Add(tick.TimeMs, tick.Price, tick.Size, out var closed) == TickOutcome.ClosedBar
                    && publishRegimes
                    && detectors[i].Add(closed.Close) is { } probabilities
                )
                {
                    var update = new RegimeUpdate
                    {
                        symbol = tick.Symbol,
                        event_time = DateTimeOffset.FromUnixTimeMilliseconds(closed.EndMs).UtcDateTime,
                        bull = probabilities.Bull,
                        bear = probabilities.Bear,
                        sideways = probabilities.Sideways,
                        entropy = null,
                        detector = RuleBasedRegimeDetector.Name,
                        detector_version = RuleBasedRegimeDetector.Version,
                    };
                    Produce(
                        producer,
                        topics.RegimeUpdates.Name,
                        key,
                        regimeSerde.Serialize(update, topics.RegimeUpdates.Name),
                        stoppingToken
                    );
                }

                sent++;
            }

            Pace(clock, sent, settings, stoppingToken);
        }

        producer.Flush(TimeSpan.FromSeconds(5));
    }

    private static void Produce(
        IProducer<byte[]?, byte[]> producer,
        string topic,
        byte[] key,
        byte[] value,
        CancellationToken stoppingToken
    )
    {
        while (true)
        {
            try
            {
                producer.Produce(topic, new Message<byte[]?, byte[]> { Key = key, Value = value });
                return;
            }
            catch (ProduceException<byte[]?, byte[]> ex)
                when (ex.Error.Code == ErrorCode.Local_QueueFull && !stoppingToken.IsCancellationRequested)
            {
                producer.Poll(TimeSpan.FromMilliseconds(50));
            }
        }
    }

    /// <summary>
    /// Keeps the feed at its rate, sending what is due in bursts <see cref="DemoFeedOptions.BurstInterval"/>
    /// apart: the feed runs ahead by one burst, then waits for the clock to catch up.
    /// </summary>
    private static void Pace(Stopwatch clock, long sent, DemoFeedOptions settings, CancellationToken stoppingToken)
    {
        if (settings.TicksPerSecond <= 0)
        {
            return;
        }

        var ahead = TimeSpan.FromSeconds(sent / settings.TicksPerSecond) - clock.Elapsed;
        if (ahead > TimeSpan.Zero && ahead >= settings.BurstInterval)
        {
            stoppingToken.WaitHandle.WaitOne(ahead);
        }
    }
}
