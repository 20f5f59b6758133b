using System.Diagnostics.Metrics;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.PredictApi;
using Inference.Streaming.Worker.Diagnostics;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Inference.Streaming.Worker.Hosting;

/// <summary>
/// OpenTelemetry: metrics exported for Prometheus at <c>/metrics</c>; traces of HTTP requests and decisions,
/// recorded only while they are exported; OTLP export of both when <c>Telemetry:Otlp:Endpoint</c> or the standard
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, of one with its <c>_TRACES_</c>/<c>_METRICS_</c> form (off by default).
/// The exporter takes every other standard <c>OTEL_EXPORTER_OTLP_*</c> variable (protocol, headers, timeout)
/// itself; <c>OTEL_SERVICE_NAME</c> and <c>OTEL_RESOURCE_ATTRIBUTES</c> name the resource.
/// </summary>
public static class ObservabilityExtensions
{
    public static WebApplicationBuilder AddObservability(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<InferenceTelemetry>();
        builder.Services.AddSingleton<GpuMetrics>();
        var options = TelemetryOptions.From(builder.Configuration);
        var otlp = options.Otlp.Endpoint;
        var serviceName = builder.Configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } named
            ? named
            : EmbeddedApi.ServiceName;
        var telemetry = builder
            .Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName, serviceVersion: EmbeddedApi.ServiceVersion))
            .WithMetrics(metrics =>
                metrics
                    .AddMeter(
                        PipelineMetrics.MeterName,
                        PredictMetrics.MeterName,
                        ModelCatalog.MeterName,
                        Experiments.ExperimentArms.MeterName,
                        GpuMetrics.MeterName,
                        CpuAccounting.MeterName,
                        // .NET's own: GC (collections, pause time, bytes allocated), heap, thread pool, JIT,
                        // exceptions. Observable instruments, read only when scraped.
                        "System.Runtime"
                    )
                    .AddAspNetCoreInstrumentation()
                    .AddPrometheusExporter()
            );
        telemetry.WithMetrics(metrics =>
            ((IDeferredMeterProviderBuilder)metrics).Configure(
                (services, provider) => provider.AddView(OwnInstruments(services))
            )
        );
        if (options.Exports(builder.Configuration, "TRACES"))
        {
            // Spans are recorded only where they go somewhere. Without a trace exporter no OpenTelemetry listener is
            // registered, so a decided bar starts no spans (its decision carries the closing tick's own trace context
            // on) and requests are not sampled or processed (docs/PERFORMANCE.md, "What tracing costs").
            telemetry.WithTracing(tracing =>
                tracing
                    .AddSource(InferenceTelemetry.SourceName)
                    .AddAspNetCoreInstrumentation(o => o.Filter = http => http.Request.Path != "/metrics")
                    .AddOtlpExporter(o => Endpoint(o, otlp))
            );
        }

        if (options.Exports(builder.Configuration, "METRICS"))
        {
            telemetry.WithMetrics(metrics => metrics.AddOtlpExporter(o => Endpoint(o, otlp)));
        }

        return builder;
    }

    /// <summary>
    /// A view that keeps this host's instruments and the process-wide ones (.NET's runtime meter) and drops those of
    /// any other host in the process. OpenTelemetry subscribes by meter name, so without it a second host's meters of
    /// the same names share this host's metric streams, and disposing that host ends them here too: its
    /// <c>/metrics</c> then loses the stream's counters (opentelemetry-dotnet#6412; seen when the functional tests'
    /// hosts stop one after another in one process).
    /// </summary>
    internal static Func<Instrument, MetricStreamConfiguration?> OwnInstruments(IServiceProvider services)
    {
        var own = services.GetRequiredService<IMeterFactory>();
        return instrument =>
            instrument.Meter.Scope is null || ReferenceEquals(instrument.Meter.Scope, own)
                ? null
                : MetricStreamConfiguration.Drop;
    }

    // Telemetry:Otlp:Endpoint wins; without it the exporter keeps what the OTEL_EXPORTER_OTLP_* variables gave it.
    private static void Endpoint(OpenTelemetry.Exporter.OtlpExporterOptions options, Uri? endpoint)
    {
        if (endpoint is not null)
        {
            options.Endpoint = endpoint;
        }
    }
}
