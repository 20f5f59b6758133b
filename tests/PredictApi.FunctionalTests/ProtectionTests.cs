using System.Net;

namespace Inference.Streaming.PredictApi.FunctionalTests;

/// <summary>API keys on predict and reload; the per-client rate limit on predict.</summary>
public sealed class ProtectionTests(ProtectionTests.Factory factory) : IClassFixture<ProtectionTests.Factory>
{
    public sealed class Factory : WorkerFactory
    {
        protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
        [
            new("DemoFeed:Enabled", "false"),
            new("Api:Keys:0", "key-one"),
            new("Api:Keys:1", "key-two"),
            new("Api:RateLimit:PermitsPerMinute", "3"),
        ];
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("key-on")]
    [InlineData("KEY-ONE")]
    public async Task PredictWithoutAValidKeyIs401(string? key)
    {
        using var client = factory.CreateClient();
        using var request = Predict(key);

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("key-one", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ModelReloadWithoutAValidKeyIs401()
    {
        using var client = factory.CreateClient();

        using var response = await client.PostAsync(new Uri("/api/v1/models/reload", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task AValidKeyPassesAndEachClientHasItsOwnBudget()
    {
        using var client = factory.CreateClient();

        // key-two: three requests pass the limiter (404: no state, the feed is off), the fourth is limited.
        for (var i = 0; i < 3; i++)
        {
            using var request = Predict("key-two");
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        using (var request = Predict("key-two"))
        using (var limited = await client.SendAsync(request))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
            Assert.True(int.Parse(Assert.Single(limited.Headers.GetValues("Retry-After")), System.Globalization.CultureInfo.InvariantCulture) >= 1);
            Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
        }

        using var other = Predict("key-one");
        using var otherResponse = await client.SendAsync(other);
        Assert.Equal(HttpStatusCode.NotFound, otherResponse.StatusCode);
    }

    private static HttpRequestMessage Predict(string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/predict") { Content = WorkerFactory.Json(new { symbol = "AAPL" }) };
        if (key is not null)
        {
            request.Headers.Add("X-API-Key", key);
        }

        return request;
    }
}
