using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Inference.Streaming.Worker.UnitTests.Diagnostics;

/// <summary>
/// The standard OpenTelemetry variables reach the worker's telemetry: with only <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>
/// (and the protocol) set, the worker's spans go to that collector over real HTTP, under the service name
/// <c>OTEL_SERVICE_NAME</c> gives.
/// </summary>
public sealed class OtlpExportTests
{
    [Fact]
    public async Task TheStandardVariablesTurnExportOnAndNameTheService()
    {
        await using var collector = await Collector.StartAsync();

        var received = await ExportOneSpanAsync(
            new()
            {
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Url,
                ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
                ["OTEL_SERVICE_NAME"] = "desk-7-worker",
            },
            collector
        );

        // The span, with the resource naming the service, in what reached the traces endpoint.
        var traces = string.Concat(received.Where(r => r.Path == "/v1/traces").Select(r => r.Body));
        Assert.Contains("otlp-probe", traces, StringComparison.Ordinal);
        Assert.Contains("desk-7-worker", traces, StringComparison.Ordinal);
    }

    private static async Task<IReadOnlyCollection<(string Path, string Body)>> ExportOneSpanAsync(
        Dictionary<string, string?> settings,
        Collector collector
    )
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddObservability();
        await using var app = builder.Build();
        using (var tracer = app.Services.GetRequiredService<TracerProvider>())
        {
            using var source = new ActivitySource(InferenceTelemetry.SourceName);
            using (source.StartActivity("otlp-probe"))
            {
                // the span ends here
            }

            tracer.ForceFlush(10_000);
        }

        // The provider has flushed and shut down: whatever was sent has arrived.
        await Task.Delay(200);
        return collector.Received;
    }

    /// <summary>An OTLP/HTTP collector that only records what it is sent.</summary>
    private sealed class Collector : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private Collector(WebApplication app, string url) => (_app, Url) = (app, url);

        public string Url { get; }

        public ConcurrentQueue<(string Path, string Body)> Queue { get; } = new();

        public IReadOnlyCollection<(string Path, string Body)> Received => [.. Queue];

        public static async Task<Collector> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            Collector? self = null;
            app.MapPost(
                "/{**path}",
                async (HttpContext context) =>
                {
                    using var body = new MemoryStream();
                    await context.Request.Body.CopyToAsync(body);
                    self!.Queue.Enqueue((context.Request.Path.Value!, Encoding.Latin1.GetString(body.ToArray())));
                    return Results.Ok();
                }
            );
            await app.StartAsync();
            var url = app
                .Services.GetRequiredService<IServer>()
                .Features.Get<IServerAddressesFeature>()!
                .Addresses.First();
            self = new Collector(app, url);
            return self;
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
