using Confluent.SchemaRegistry;
using Inference.Streaming.Engine;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.PredictApi;
using Inference.Streaming.Worker.DemoFeed;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Embedded;
using Inference.Streaming.Worker.Kafka;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Hosting;

/// <summary>Composition of the worker process; embedded and real-cluster modes differ only in what is registered
/// here.</summary>
public static class WorkerHostExtensions
{
    public static WebApplicationBuilder AddInferenceWorker(this WebApplicationBuilder builder, WorkerMode mode)
    {
        var services = builder.Services;
        services.AddSingleton(new WorkerModeHolder(mode));
        services.AddSingleton(TimeProvider.System);
        // Draining the batcher, the last checkpoint and leaving the group fit in 10 s (issue 6).
        services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(10));
        services.AddProblemDetails();

        services.AddKafkaOptions();

        var embedded = string.IsNullOrWhiteSpace(
            builder.Configuration[$"{KafkaOptions.Section}:{nameof(KafkaOptions.BootstrapServers)}"]
        );
        if (embedded)
        {
            builder.AddEmbeddedKafka(mode);
        }
        else if (mode == WorkerMode.Broker)
        {
            throw new InvalidOperationException(
                "The 'broker' command runs the embedded broker; unset Kafka:BootstrapServers "
                    + "(Kafka__BootstrapServers) to use it."
            );
        }
        else
        {
            services.AddSingleton<IKafkaEndpoints, ConfiguredKafkaEndpoints>();
            services.AddSingleton<ITopicProvisioner, AdminTopicProvisioner>();
            services.AddSingleton<IEmbeddedEnvironmentSource, NotEmbeddedEnvironmentSource>();
        }

        services.AddSingleton<GroupInstance>();
        services.AddSingleton<IKafkaClientFactory, KafkaClientFactory>();
        services.AddSingleton<ISchemaRegistryClient>(sp =>
            SchemaRegistryClients.Create(
                sp.GetRequiredService<IKafkaEndpoints>().SchemaRegistryUrl,
                sp.GetRequiredService<IOptions<SchemaRegistryOptions>>().Value
            )
        );
        services.AddHostedService<TopicProvisioningService>();
        builder.AddDemoFeed(mode, embedded);
        builder.AddObservability();
        if (mode == WorkerMode.Worker)
        {
            builder.AddInferenceModels();
            builder.AddStreamingPipeline();
            builder.Services.AddPredictApi();
            builder.Services.AddSingleton<Serving.ServingMetrics>();
            builder.Services.AddSingleton<Serving.DirectScorer>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<Serving.DirectScorer>());
            builder.Services.AddSingleton<IPredictionService, Serving.PredictionService>();
            builder.Services.AddHealthChecks().AddCheck<Ingest.IngestHealthCheck>("ingest", tags: [HealthApi.ReadyTag]);
            builder.Services.AddSingleton<IHealthCheckPublisher, HealthMetrics>();
            // While the worker stops, its consumer is unassigned by design: the publisher runs no check then,
            // or the health-check service logs that Unhealthy result as an error on an ordinary shutdown.
            builder
                .Services.AddOptions<HealthCheckPublisherOptions>()
                .Configure<IHostApplicationLifetime>(
                    (publisher, lifetime) =>
                        (publisher.Delay, publisher.Period, publisher.Predicate) = (
                            TimeSpan.FromSeconds(2),
                            TimeSpan.FromSeconds(10),
                            _ => !lifetime.ApplicationStopping.IsCancellationRequested
                        )
                );
        }

        if (mode == WorkerMode.Regimes)
        {
            builder.AddRegimeService();
        }

        services.AddHostedService<StartupBanner>();
        services.AddHostedService<SeedSettings>();
        return builder;
    }

    /// <summary>
    /// The demo feed runs by default with the embedded worker, and on request (<c>--demo-feed true</c>)
    /// beside the embedded broker alone or against a real cluster.
    /// </summary>
    private static void AddDemoFeed(this WebApplicationBuilder builder, WorkerMode mode, bool embedded)
    {
        builder
            .Services.AddOptions<DemoFeedOptions>()
            .BindConfiguration(DemoFeedOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        var configured = builder.Configuration.GetValue<bool?>(
            $"{DemoFeedOptions.Section}:{nameof(DemoFeedOptions.Enabled)}"
        );
        if (configured ?? (embedded && mode is WorkerMode.Worker or WorkerMode.Regimes))
        {
            // Features:BarInterval also shapes the detector's bars.
            builder.Services.AddDecisionEngine();
            // The demo's clock is simulated and may run ahead of the wall clock: bound it by the stream's own time.
            builder.Services.PostConfigure<FeatureOptions>(features =>
                features.EventTimeReference =
                    features.EventTimeReference == EventTimeReference.Auto
                        ? EventTimeReference.Watermark
                        : features.EventTimeReference
            );
            builder.Services.AddWrittenTopics(k => k.Topics.MarketTicks.Name, k => k.Topics.RegimeUpdates.Name);
            // The regime service computes regimes itself: its demo feed publishes only ticks, unless told otherwise.
            builder.Services.PostConfigure<DemoFeedOptions>(feed => feed.PublishRegimes ??= mode != WorkerMode.Regimes);
            builder.Services.AddHostedService<DemoFeedService>();
        }
    }

    /// <summary>Registers the embedded broker and registry first, so they start before and stop after everything
    /// else.</summary>
    private static void AddEmbeddedKafka(this WebApplicationBuilder builder, WorkerMode mode)
    {
        var services = builder.Services;
        services
            .AddOptions<EmbeddedOptions>()
            .BindConfiguration(EmbeddedOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<EmbeddedKafka>();
        services.AddHostedService(sp => sp.GetRequiredService<EmbeddedKafka>());
        services.AddSingleton<IKafkaEndpoints>(sp => sp.GetRequiredService<EmbeddedKafka>());
        services.AddSingleton<ITopicProvisioner, MockClusterTopicProvisioner>();
        services.AddHostedService<EmbeddedRetention>();
        if (mode is WorkerMode.Worker or WorkerMode.Regimes)
        {
            services.AddSingleton<IValidateOptions<EmbeddedOptions>, EmbeddedStateRetentionValidator>();
        }
        services.AddSingleton<IEmbeddedEnvironmentSource, EmbeddedEnvironmentSource>();

        // librdkafka's mock broker answers an empty fetch only after fetch.wait.max.ms (default 500)
        // even when data arrives meanwhile; a short wait keeps tick-to-decision latency low here.
        services.PostConfigure<KafkaOptions>(kafka => kafka.Consumer.TryAdd("fetch.wait.max.ms", "10"));

        // A registry that needs credentials: this process's own clients have them.
        services
            .AddOptions<SchemaRegistryOptions>()
            .PostConfigure<IOptions<EmbeddedOptions>>(
                (registry, embedded) =>
                {
                    if (embedded.Value.SchemaRegistryUserInfo is { } userInfo)
                    {
                        registry.Client.TryAdd("schema.registry.basic.auth.credentials.source", "USER_INFO");
                        registry.Client.TryAdd("schema.registry.basic.auth.user.info", userInfo);
                    }
                }
            );
    }

    public static WebApplication MapInferenceWorker(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapServiceInfo();
        app.MapEmbeddedApi();
        app.MapPrometheusScrapingEndpoint("/metrics");
        if (app.Services.GetRequiredService<WorkerModeHolder>().Mode == WorkerMode.Worker)
        {
            app.Services.GetRequiredService<GpuMetrics>(); // its gauges exist once it does
            app.UseRateLimiter();
            app.MapApiDocuments();
            app.MapPredictApi();
            app.MapModelsApi();
            app.MapHealthApi();
        }
        else if (app.Services.GetRequiredService<WorkerModeHolder>().Mode == WorkerMode.Regimes)
        {
            // The image's liveness check, and readiness from the service's checks (Kafka, consumer lag).
            app.MapHealthChecks(
                "/health/live",
                new HealthCheckOptions { Predicate = check => check.Tags.Contains(HealthApi.LiveTag) }
            );
            app.MapHealthChecks("/health/ready");
        }

        return app;
    }
}
