using Inference.Streaming.Engine;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Risk;
using Inference.Streaming.PredictApi;
using Inference.Streaming.Worker.Decisions;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Experiments;
using Inference.Streaming.Worker.Fleet;
using Inference.Streaming.Worker.Ingest;
using Inference.Streaming.Worker.Kafka;
using Inference.Streaming.Worker.Publishing;
using Inference.Streaming.Worker.Regimes;
using Inference.Streaming.Worker.State;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Hosting;

/// <summary>Registers the stream: ingest loop, micro-batcher, decisions, publishing, summary line.</summary>
public static class PipelineHostExtensions
{
    public static WebApplicationBuilder AddStreamingPipeline(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddIngest();
        services.AddExperiments();
        services.AddSingleton<IBarExperiment>(sp =>
            sp.GetRequiredService<ExperimentArms>() is { IsOn: true } arms
                ? new RunningExperiment(arms)
                : NoExperiment.Instance
        );
        services.AddSingleton<DecisionAssembler>();
        services.AddSingleton<IDecisionSink, DecisionPublisher>();

        // Hosted services stop in reverse order: ingest first (drains and stores offsets), then the
        // batcher (finishes queued bars); the shared producer is flushed when the container disposes.
        // The whole book (Risk:Sectors): this worker's positions go to the positions table as it decides, and it
        // reads everyone's; the gate holds a mapped bar until the book is complete as of the boundary before it.
        services.AddSingleton<BookGate>();
        // The positions table is written only while Risk:Sectors maps symbols.
        services.AddSingleton(sp =>
        {
            var risk = sp.GetRequiredService<IOptions<RiskOptions>>();
            return new WrittenTopic(k => risk.Value.Sectors.Count > 0 ? k.Topics.Positions.Name : null);
        });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RiskOptions>, BookSettingsValidator>());
        services.AddHostedService<PositionsReader>();
        services.AddSingleton<DecisionBatcher>();
        services.AddSingleton<IDecisionIntake>(sp => sp.GetRequiredService<DecisionBatcher>());
        services.AddHostedService(sp => sp.GetRequiredService<DecisionBatcher>());
        // The fleet's read model: this worker's bars go to symbol-observations, and it reads everyone's, so it
        // answers predict for every symbol the fleet holds. Registered after the ingest's own sink, which it
        // replaces; the replica starts before the ingest and stops after it.
        services.AddSingleton<InstanceName>();
        services.AddSingleton<IObservationSink, ReplicatingObservationSink>();
        services.AddSingleton<ObservationReplica>();
        services.AddHostedService(sp => sp.GetRequiredService<ObservationReplica>());
        services.AddHealthChecks().AddCheck<ObservationReplica>("fleet-read-model", tags: [HealthApi.ReadyTag]);
        // Cluster-wide control: read to its end before the ingest starts, so the first bar is decided in the
        // fleet's roles; promote and reload go through it.
        services.AddSingleton<ClusterControl>();
        services.AddHostedService(sp => sp.GetRequiredService<ClusterControl>());
        services.AddHealthChecks().AddCheck<ClusterControl>("cluster-control", tags: [HealthApi.ReadyTag]);
        services.AddWrittenTopics(
            k => k.Topics.TradingDecisions.Name,
            k => k.Topics.DecisionForensics.Name,
            k => k.Topics.InferenceState.Name,
            k => k.Topics.SymbolObservations.Name
        );
        services.AddSingleton<IngestService>();
        services.AddHostedService(sp => sp.GetRequiredService<IngestService>());
        services.AddHostedService<SummaryReporter>();
        return builder;
    }

    /// <summary>
    /// The <c>regimes</c> service: the worker's own ingest (bars, event-time rules, dead letters, state
    /// checkpoints, restore on restart and rebalance) with the detector computing each closed bar's
    /// regime, which <see cref="RegimePublisher"/> publishes to <c>regime-updates</c> instead of a
    /// decision. Its consumer group (<c>Regimes:GroupId</c>) and changelog
    /// (<c>Kafka:Topics:RegimeDetectorState</c>) are its own, so it runs beside workers on the same ticks.
    /// </summary>
    public static WebApplicationBuilder AddRegimeService(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        // Before AddIngest's own post-configuration, which derives the transactional id from the group.
        services
            .AddOptions<KafkaOptions>()
            .PostConfigure<IOptions<RegimeOptions>>(
                (kafka, regimes) =>
                {
                    kafka.GroupId = regimes.Value.GroupId;
                    // Its state goes to its own changelog: the worker's state code, the service's topic.
                    kafka.Topics.InferenceState = kafka.Topics.RegimeDetectorState;
                }
            );
        // No book: the service decides no trades.
        services.AddSingleton(sp => new PositionsBook(
            SectorMap.Empty,
            (long)sp.GetRequiredService<IOptions<FeatureOptions>>().Value.BarInterval.TotalMilliseconds,
            0,
            []
        ));
        services.AddIngest();
        services.PostConfigure<RegimeOptions>(regimes => regimes.Source = RegimeSource.Detector);
        // The service publishes regimes, not decisions: no experiment runs in it.
        services.PostConfigure<ExperimentOptions>(experiments => experiments.Mode = ExperimentMode.Off);
        services.AddSingleton<IDecisionIntake, RegimePublisher>();
        services.AddSingleton<IBarExperiment>(NoExperiment.Instance);
        services.AddWrittenTopics(k => k.Topics.RegimeUpdates.Name, k => k.Topics.InferenceState.Name);
        services.AddSingleton<IngestService>();
        services.AddHostedService(sp => sp.GetRequiredService<IngestService>());
        return builder;
    }

    /// <summary>Ingest, state and dead letters: what the worker and the regime service share.</summary>
    private static IServiceCollection AddIngest(this IServiceCollection services)
    {
        services.AddDecisionEngine();
        services
            .AddOptions<DiagnosticsOptions>()
            .BindConfiguration(DiagnosticsOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddMetrics();
        services.AddSingleton<PipelineMetrics>();
        services.AddSingleton<CpuAccounting>();
        services.AddSingleton<KafkaOutput>();
        services.AddSingleton<Kafka.KafkaConnectivity>();
        services.AddHealthChecks().AddCheck<Kafka.KafkaConnectivity>("kafka");
        services.AddSingleton<IDeadLetterSink, DeadLetterPublisher>();
        services.AddSingleton<OffsetTracker>();
        services
            .AddOptions<StateOptions>()
            .BindConfiguration(StateOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<StateStore>();
        // Kafka:Delivery picks the committer: stored offsets (at-least-once) or a transaction per checkpoint.
        services.AddSingleton<IInputCommitter>(sp =>
            sp.GetRequiredService<IOptions<KafkaOptions>>().Value.Delivery == DeliveryMode.ExactlyOnce
                ? ActivatorUtilities.CreateInstance<TransactionalCommitter>(sp)
                : ActivatorUtilities.CreateInstance<StoredOffsetCommitter>(sp)
        );
        services.PostConfigure<KafkaOptions>(kafka =>
        {
            if (kafka.Delivery == DeliveryMode.ExactlyOnce)
            {
                // Stable per host, so a restarted worker's InitTransactions aborts what its predecessor left
                // open; give each process on one host its own Kafka:Producer:transactional.id.
                kafka.Producer.TryAdd("transactional.id", $"{kafka.GroupId}-{Environment.MachineName}");
            }
        });

        services.AddRegimes();
        services.AddHostedService<RegimeDetectorStartup>();
        // The worker keeps the whole book when Risk:Sectors maps symbols; the regimes service never does.
        services.TryAddSingleton<PositionsBook>();
        services.AddSingleton<IPositionsSink, PositionsPublisher>();
        services.AddSingleton<OwnedPartitions>();
        services.AddSingleton<RecordRules>();
        services.AddSingleton<BarCloser>();
        services.AddSingleton<RecordHandler>();
        services.AddSingleton<Checkpoints>();
        services.AddSingleton<RegimeAlignment>();
        services.AddSingleton<SymbolDirectory>();
        services.AddSingleton<IObservationSink>(sp => sp.GetRequiredService<SymbolDirectory>());
        services.AddHealthChecks().AddCheck<ConsumerLagHealthCheck>("consumer-lag");
        services.AddSingleton<IngestHeartbeat>();
        services.AddSingleton<IngestWatchdog>();
        services.AddHostedService(sp => sp.GetRequiredService<IngestWatchdog>());
        services
            .AddHealthChecks()
            .AddCheck<IngestStallHealthCheck>("ingest-stall", tags: [HealthApi.ReadyTag, HealthApi.LiveTag]);
        return services;
    }
}
