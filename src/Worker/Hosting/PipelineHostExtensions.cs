using Inference.Streaming.Engine;
using Inference.Streaming.Worker.Decisions;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Ingest;
using Inference.Streaming.Worker.Kafka;
using Inference.Streaming.Worker.Publishing;
using Inference.Streaming.Worker.State;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Hosting;

/// <summary>Registers the stream: ingest loop, micro-batcher, decisions, publishing, summary line.</summary>
public static class PipelineHostExtensions
{
    public static WebApplicationBuilder AddStreamingPipeline(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddDecisionEngine();
        services
            .AddOptions<DiagnosticsOptions>()
            .BindConfiguration(DiagnosticsOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddMetrics();
        services.AddSingleton<PipelineMetrics>();
        services.AddSingleton<DecisionAssembler>();
        services.AddSingleton<KafkaOutput>();
        services.AddSingleton<Kafka.KafkaConnectivity>();
        services.AddHealthChecks().AddCheck<Kafka.KafkaConnectivity>("kafka");
        services.AddSingleton<IDecisionSink, DecisionPublisher>();
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

        services.AddSingleton<RecordHandler>();
        services.AddSingleton<RegimeAlignment>();
        services.AddSingleton<SymbolDirectory>();
        services.AddSingleton<IObservationSink>(sp => sp.GetRequiredService<SymbolDirectory>());
        services.AddHealthChecks().AddCheck<ConsumerLagHealthCheck>("consumer-lag");

        // Hosted services stop in reverse order: ingest first (drains and stores offsets), then the
        // batcher (finishes queued bars); the shared producer is flushed when the container disposes.
        services.AddSingleton<DecisionBatcher>();
        services.AddSingleton<IDecisionIntake>(sp => sp.GetRequiredService<DecisionBatcher>());
        services.AddHostedService(sp => sp.GetRequiredService<DecisionBatcher>());
        services.AddSingleton<IngestService>();
        services.AddHostedService(sp => sp.GetRequiredService<IngestService>());
        services.AddHostedService<SummaryReporter>();
        return builder;
    }
}
