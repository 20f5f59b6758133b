using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Kafka;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Inference.Streaming.Worker.Hosting;

/// <summary>
/// Prints where everything listens once the host is up: on stdout for people and scripts (one
/// <c>key: value</c> per line), and as one structured log event.
/// </summary>
public sealed class StartupBanner(
    IHostApplicationLifetime lifetime,
    IServer server,
    IKafkaEndpoints endpoints,
    WorkerModeHolder mode,
    ILogger<StartupBanner> logger
) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(Print);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Print()
    {
        var api = string.Join(", ", server.Features.Get<IServerAddressesFeature>()?.Addresses ?? []);
        var name = mode.Mode switch
        {
            WorkerMode.Broker => "broker",
            WorkerMode.Regimes => "regime service",
            _ => "worker",
        };
        Console.Out.Write(
            $"""

            Inference.Streaming {name} ready
              kafka.bootstrap:  {endpoints.BootstrapServers}
              schema.registry:  {endpoints.SchemaRegistryUrl}
              api:              {api}

            """
        );
        Console.Out.Flush();
        Log.Banner(logger, name, endpoints.BootstrapServers, endpoints.SchemaRegistryUrl, api);
    }
}
