using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Inference.Streaming.PredictApi.FunctionalTests;

/// <summary>
/// The whole worker in memory through <see cref="WebApplicationFactory{TEntryPoint}"/>: embedded
/// broker and registry, the demo feed (fast), the PyTorch fixture models, the real pipeline.
/// </summary>
public class WorkerFactory : WebApplicationFactory<Program>
{
    public static string Fixtures => Tests.RepositoryRoot.PyTorchFixtures;

    /// <summary>Extra settings for a test class (key, value).</summary>
    protected virtual IEnumerable<KeyValuePair<string, string?>> Settings => [];

    /// <summary>Replaces services for a test class.</summary>
    protected virtual void Replace(IServiceCollection services) { }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Models:Directory"] = Fixtures,
            ["Models:WatchForChanges"] = "false",
            ["DemoFeed:TicksPerSecond"] = "3000",
            ["Features:BarInterval"] = "00:00:10",
            ["Diagnostics:SummaryInterval"] = "00:00:00",
            ["Kafka:Consumer:session.timeout.ms"] = "6000",
        };
        foreach (var (key, value) in Settings)
        {
            settings[key] = value;
        }

        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureServices(Replace);
    }

    /// <summary>
    /// Waits until <c>/health/ready</c> passes (it is not rate limited and needs no credentials). Ready includes the
    /// fleet's read model: before it has caught up, an unknown symbol is a 503 with Retry-After, not a 404 (CI got
    /// the 503 twice, in different tests).
    /// </summary>
    public static async Task WaitUntilReadyAsync(HttpClient client)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (
            !(await client.GetAsync(new Uri("/health/ready", UriKind.Relative))).IsSuccessStatusCode
            && DateTime.UtcNow < deadline
        )
        {
            await Task.Delay(100);
        }
    }

    /// <summary>Polls predict until the demo feed has closed a bar for <paramref name="symbol"/>.</summary>
    public static async Task<HttpResponseMessage> WaitForStateAsync(HttpClient client, string symbol, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var response = await client.PostAsync(new Uri("/api/v1/predict", UriKind.Relative), Json(new { symbol }));
            // 404 until a bar of the symbol has closed; 503 (Retry-After) while the models load or the fleet's read
            // model catches up at start (CI once got the 503 here).
            if (
                response.StatusCode
                    is not (System.Net.HttpStatusCode.NotFound or System.Net.HttpStatusCode.ServiceUnavailable)
                || DateTime.UtcNow > deadline
            )
            {
                return response;
            }

            response.Dispose();
            await Task.Delay(200);
        }
    }

    public static StringContent Json(object body) =>
        new(System.Text.Json.JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json");
}
