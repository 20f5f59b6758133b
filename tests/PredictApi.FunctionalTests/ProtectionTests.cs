using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

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
                new("Api:RateLimit:FailedAuthPerMinute", "5"),
            ];

        // The test server has no socket: a test names its client's address in a header, so each test
        // has budgets of its own (loopback addresses; nothing is sent anywhere).
        protected override void Replace(IServiceCollection services) =>
            services.AddSingleton<IStartupFilter, ClientAddressFromHeader>();
    }

    private sealed class ClientAddressFromHeader : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) =>
            app =>
            {
                app.Use(
                    (context, proceed) =>
                    {
                        if (context.Request.Headers.TryGetValue(AddressHeader, out var address))
                        {
                            context.Connection.RemoteIpAddress = IPAddress.Parse(address.ToString());
                        }

                        return proceed(context);
                    }
                );
                next(app);
            };
    }

    private const string AddressHeader = "X-Test-Client-Address";

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("key-on")]
    [InlineData("KEY-ONE")]
    public async Task PredictWithoutAValidKeyIs401(string? key)
    {
        using var client = factory.CreateClient();
        using var request = Predict(key, $"127.0.1.{(key?.Length ?? 99) + 1}");

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
        // This test counts on 404s for an unknown symbol; readiness spends no budget.
        await WorkerFactory.WaitUntilReadyAsync(client);

        // key-two: three requests pass the limiter (404: no state, the feed is off), the fourth is limited.
        for (var i = 0; i < 3; i++)
        {
            using var request = Predict("key-two", "127.0.2.1");
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        using (var request = Predict("key-two", "127.0.2.1"))
        using (var limited = await client.SendAsync(request))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
            Assert.True(
                int.Parse(
                    Assert.Single(limited.Headers.GetValues("Retry-After")),
                    System.Globalization.CultureInfo.InvariantCulture
                ) >= 1
            );
            Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
            using var problem = System.Text.Json.JsonDocument.Parse(await limited.Content.ReadAsStringAsync());
            Assert.False(string.IsNullOrEmpty(problem.RootElement.GetProperty("type").GetString()));
            Assert.Equal("Too many requests", problem.RootElement.GetProperty("title").GetString());
            Assert.Equal(429, problem.RootElement.GetProperty("status").GetInt32());
        }

        using var other = Predict("key-one", "127.0.2.1");
        using var otherResponse = await client.SendAsync(other);
        Assert.Equal(HttpStatusCode.NotFound, otherResponse.StatusCode);
    }

    [Fact]
    public async Task MadeUpKeysCountAgainstTheAddressTheyComeFrom()
    {
        using var client = factory.CreateClient();

        // Each request a new random key: no key authenticates, so all share the address's budget of 3.
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            using var request = Predict(Guid.NewGuid().ToString("N"), "127.0.3.1");
            using var response = await client.SendAsync(request);
            statuses.Add(response.StatusCode);
        }

        Assert.Equal(
            [
                HttpStatusCode.Unauthorized,
                HttpStatusCode.Unauthorized,
                HttpStatusCode.Unauthorized,
                HttpStatusCode.TooManyRequests,
                HttpStatusCode.TooManyRequests,
            ],
            statuses
        );
    }

    [Fact]
    public async Task FailedAuthenticationsBeyondTheirLimitGet429AndAValidKeyStillPasses()
    {
        using var client = factory.CreateClient();

        // Model reload has no request budget, only the failed-authentication one (5 a minute here).
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 7; i++)
        {
            using var guess = Reload("guess-" + i, "127.0.4.1");
            using var response = await client.SendAsync(guess);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.True(
                    int.Parse(
                        Assert.Single(response.Headers.GetValues("Retry-After")),
                        System.Globalization.CultureInfo.InvariantCulture
                    ) >= 1
                );
                using var problem = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                Assert.Equal(429, problem.RootElement.GetProperty("status").GetInt32());
                Assert.False(string.IsNullOrEmpty(problem.RootElement.GetProperty("type").GetString()));
            }
        }

        Assert.Equal(
            Enumerable
                .Repeat(HttpStatusCode.Unauthorized, 5)
                .Concat(Enumerable.Repeat(HttpStatusCode.TooManyRequests, 2)),
            statuses
        );
        using var valid = Reload("key-one", "127.0.4.1");
        using var accepted = await client.SendAsync(valid);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        using var elsewhere = Reload("guess-x", "127.0.4.2");
        using var fresh = await client.SendAsync(elsewhere);
        Assert.Equal(HttpStatusCode.Unauthorized, fresh.StatusCode);
    }

    private static HttpRequestMessage Reload(string key, string address)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/models/reload");
        request.Headers.Add("X-API-Key", key);
        request.Headers.Add(AddressHeader, address);
        return request;
    }

    private static HttpRequestMessage Predict(string? key, string address)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/predict")
        {
            Content = WorkerFactory.Json(new { symbol = "AAPL" }),
        };
        request.Headers.Add(AddressHeader, address);
        if (key is not null)
        {
            request.Headers.Add("X-API-Key", key);
        }

        return request;
    }
}
