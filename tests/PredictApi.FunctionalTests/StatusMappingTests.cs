using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Inference.Streaming.PredictApi.FunctionalTests;

/// <summary>The endpoint's mapping of every outcome to the seed's status codes, with a fake prediction
/// service.</summary>
public sealed class StatusMappingTests(StatusMappingTests.Factory factory) : IClassFixture<StatusMappingTests.Factory>
{
    public sealed class Factory : WorkerFactory
    {
        protected override IEnumerable<KeyValuePair<string, string?>> Settings => [new("DemoFeed:Enabled", "false")];

        protected override void Replace(IServiceCollection services) =>
            services.Replace(ServiceDescriptor.Singleton<IPredictionService, FakePredictions>());
    }

    [Theory]
    [InlineData("AAPL", HttpStatusCode.OK)]
    [InlineData("RISK", HttpStatusCode.Forbidden)]
    [InlineData("NOTREADY", HttpStatusCode.ServiceUnavailable)]
    [InlineData("NOSTATE", HttpStatusCode.NotFound)]
    [InlineData("OLD", HttpStatusCode.UnprocessableEntity)]
    [InlineData("ODD", HttpStatusCode.BadRequest)]
    public async Task EachOutcomeGetsTheSeedsStatusCode(string symbol, HttpStatusCode expected)
    {
        using var client = factory.CreateClient();

        using var response = await client.PostAsync(
            new Uri("/api/v1/predict", UriKind.Relative),
            WorkerFactory.Json(new { symbol })
        );

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal(
            expected == HttpStatusCode.OK ? "application/json" : "application/problem+json",
            response.Content.Headers.ContentType?.MediaType
        );
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        if (expected != HttpStatusCode.OK)
        {
            Assert.Equal((int)expected, json.RootElement.GetProperty("status").GetInt32());
            Assert.False(string.IsNullOrEmpty(json.RootElement.GetProperty("title").GetString()));
        }
    }

    [Fact]
    public async Task ARiskRejectionIs403WithTheWarningsInAHeaderAndTheBody()
    {
        using var client = factory.CreateClient();

        using var response = await client.PostAsync(
            new Uri("/api/v1/predict", UriKind.Relative),
            WorkerFactory.Json(new { symbol = "risk" })
        );

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var header = Assert.Single(response.Headers.GetValues("X-Risk-Warnings"));
        Assert.Contains("position_limit", header, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var risk = json.RootElement.GetProperty("risk_validation");
        Assert.False(risk.GetProperty("approved").GetBoolean());
        Assert.Equal("fail", risk.GetProperty("checks").GetProperty("position_limit").GetString());
    }

    [Fact]
    public async Task TheSymbolIsUpperCasedAndTrimmedBeforeTheServiceSeesIt()
    {
        using var client = factory.CreateClient();

        using var response = await client.PostAsync(
            new Uri("/api/v1/predict", UriKind.Relative),
            WorkerFactory.Json(new { symbol = "  nostate " })
        );

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task ABodyOverTheLimitIs413()
    {
        using var client = factory.CreateClient();
        var padding = new string('x', 40_000);

        using var response = await client.PostAsync(
            new Uri("/api/v1/predict", UriKind.Relative),
            WorkerFactory.Json(new { symbol = "AAPL", padding })
        );

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }
}
