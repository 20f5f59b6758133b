using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Inference.Streaming.Worker.Embedded.SchemaRegistry;

/// <summary>
/// An in-process Schema Registry on its own Kestrel listener, so Confluent's clients use it
/// through the same HTTP code path as a real registry.
/// </summary>
public sealed class EmbeddedSchemaRegistry : IAsyncDisposable
{
    private readonly WebApplication _app;

    private EmbeddedSchemaRegistry(WebApplication app, string url, SchemaStore store)
    {
        _app = app;
        Url = url;
        Store = store;
    }

    public string Url { get; }

    public SchemaStore Store { get; }

    /// <summary>Starts the registry on 127.0.0.1:<paramref name="port"/> (0 picks a free port).</summary>
    public static async Task<EmbeddedSchemaRegistry> StartAsync(int port, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(
            new WebApplicationOptions { ApplicationName = typeof(EmbeddedSchemaRegistry).Assembly.GetName().Name }
        );
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var store = new SchemaStore();
        var app = builder.Build();
        app.MapSchemaRegistry(store);
        await app.StartAsync(cancellationToken);
        var address = app
            .Services.GetRequiredService<IServer>()
            .Features.Get<IServerAddressesFeature>()!
            .Addresses.First();
        return new EmbeddedSchemaRegistry(app, address, store);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
    }
}
