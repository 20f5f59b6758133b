using Inference.Streaming.Engine.Inference;
using Inference.Streaming.PredictApi;
using Inference.Streaming.Worker.Diagnostics;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Inference.Streaming.Worker.Hosting;

/// <summary>
/// OpenTelemetry: metrics exported for Prometheus at <c>/metrics</c>, traces of HTTP requests and
/// decisions, OTLP export when <c>Telemetry:Otlp:Endpoint</c> is set (off by default).
/// </summary>
public static class ObservabilityExtensions
{
    public static WebApplicationBuilder AddObservability(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<InferenceTelemetry>();
        builder.Services.AddSingleton<GpuMetrics>();
        var otlp = TelemetryOptions.From(builder.Configuration).Otlp.Endpoint;
        var telemetry = builder
            .Services.AddOpenTelemetry()
            .ConfigureResource(resource =>
                resource.AddService(EmbeddedApi.ServiceName, serviceVersion: EmbeddedApi.ServiceVersion)
            )
            .WithMetrics(metrics =>
                metrics
                    .AddMeter(
                        PipelineMetrics.MeterName,
                        PredictMetrics.MeterName,
                        ModelCatalog.MeterName,
                        Experiments.ExperimentArms.MeterName,
                        GpuMetrics.MeterName
                    )
                    .AddAspNetCoreInstrumentation()
                    .AddPrometheusExporter()
            )
            .WithTracing(tracing =>
            {
                tracing
                    .AddSource(InferenceTelemetry.SourceName)
                    .AddAspNetCoreInstrumentation(o => o.Filter = http => http.Request.Path != "/metrics");
                if (otlp is not null)
                {
                    tracing.AddOtlpExporter(o => o.Endpoint = otlp);
                }
            });
        if (otlp is not null)
        {
            telemetry.WithMetrics(metrics => metrics.AddOtlpExporter(o => o.Endpoint = otlp));
        }

        return builder;
    }
}
