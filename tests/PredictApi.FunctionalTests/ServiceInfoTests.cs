using System.Net;
using System.Text.Json;

namespace Inference.Streaming.PredictApi.FunctionalTests;

/// <summary>The seed's clients probe <c>GET /</c> before anything else.</summary>
public sealed class ServiceInfoTests(WorkerFactory factory) : IClassFixture<WorkerFactory>
{
    [Fact]
    public async Task TheRootAnswersAsTheSeedsDoesWithThisServicesNameAndVersion()
    {
        using var client = factory.CreateClient();
        using var response = await client.GetAsync(new Uri("/", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = json.RootElement;
        Assert.Equal(["service", "version", "status"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal("inference-streaming-worker", root.GetProperty("service").GetString());
        Assert.Equal("operational", root.GetProperty("status").GetString());
        // The build's version: major.minor.patch, then the commit it was built from.
        Assert.Matches(@"^\d+\.\d+\.\d+", root.GetProperty("version").GetString());
    }
}
