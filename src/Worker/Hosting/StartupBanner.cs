using Inference.Streaming.Worker.Kafka;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Inference.Streaming.Worker.Hosting;

/// <summary>
/// Prints where everything listens once the host is up: on stdout for people and scripts (one
/// <c>key: value</c> per line, in one write that ends with an empty line, so a reader knows the banner is
/// complete), and as one structured log event.
/// </summary>
public sealed class StartupBanner(
    IHostApplicationLifetime lifetime,
    IServer server,
    IKafkaEndpoints endpoints,
    WorkerModeHolder mode,
    IServiceProvider services,
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
        var auth = services.GetService<Microsoft.Extensions.Options.IOptions<PredictApi.ApiOptions>>()?.Value;
        var authLine = auth switch
        {
            null => "",
            { Keys.Count: > 0 } or { Jwt.Enabled: true } => $"  api.auth:         {Describe(auth)}\n",
            { AllowUnauthenticated: true } => "  api.auth:         none (Api:AllowUnauthenticated)\n",
            _ => "  api.auth:         none (loopback only; set Api:Keys or Api:Jwt to listen elsewhere)\n",
        };
        if (auth is { Keys.Count: 0, Jwt.Enabled: false, AllowUnauthenticated: true })
        {
            HostingLog.ApiOpen(logger, api);
        }

        Console.Out.Write(
            $"""

            Inference.Streaming {name} ready
              kafka.bootstrap:  {endpoints.BootstrapServers}
              schema.registry:  {endpoints.SchemaRegistryUrl}
              api:              {api}
            {authLine}

            """
        );
        Console.Out.Flush();
        HostingLog.Banner(logger, name, endpoints.BootstrapServers, endpoints.SchemaRegistryUrl, api);
    }

    private static string Describe(PredictApi.ApiOptions auth) =>
        string.Join(
            " and ",
            new[]
            {
                auth.Keys.Count > 0 ? $"{auth.Keys.Count} API keys" : null,
                auth.Jwt.Enabled ? "JWT" : null,
            }.OfType<string>()
        );
}
