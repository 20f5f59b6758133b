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
    public static Task<EmbeddedSchemaRegistry> StartAsync(int port, CancellationToken cancellationToken) =>
        StartAsync(port, userInfo: null, cancellationToken);

    /// <summary>
    /// Starts the registry; with <paramref name="userInfo"/> (<c>user:password</c>) every request needs
    /// those HTTP basic-auth credentials and gets 401 in Confluent's error body otherwise.
    /// </summary>
    public static async Task<EmbeddedSchemaRegistry> StartAsync(
        int port,
        string? userInfo,
        CancellationToken cancellationToken
    )
    {
        var builder = WebApplication.CreateSlimBuilder(
            new WebApplicationOptions { ApplicationName = typeof(EmbeddedSchemaRegistry).Assembly.GetName().Name }
        );
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var store = new SchemaStore();
        var app = builder.Build();
        if (userInfo is not null)
        {
            var expected = System.Text.Encoding.UTF8.GetBytes(
                "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(userInfo))
            );
            app.Use(
                async (context, next) =>
                {
                    var presented = System.Text.Encoding.UTF8.GetBytes(
                        context.Request.Headers.Authorization.ToString()
                    );
                    if (!System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(presented, expected))
                    {
                        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                        context.Response.Headers.WWWAuthenticate = "Basic realm=\"schema-registry\"";
                        await context.Response.WriteAsJsonAsync(
                            new { error_code = 401, message = "Unauthorized: credentials needed (basic auth)" }
                        );
                        return;
                    }

                    await next(context);
                }
            );
        }

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
