using System.Net;
using System.Text;

namespace Inference.Streaming.PredictApi.FunctionalTests;

/// <summary>Thousands of malformed bodies, content types and headers: never a 5xx, and the service keeps
/// serving.</summary>
public sealed class FuzzTests(FuzzTests.Factory factory) : IClassFixture<FuzzTests.Factory>
{
    public sealed class Factory : WorkerFactory
    {
        protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
            [new("DemoFeed:TicksPerSecond", "2000")];
    }

    private static readonly string[] Fragments =
    [
        "{",
        "}",
        "[",
        "]",
        "\"symbol\"",
        ":",
        ",",
        "\"AAPL\"",
        "null",
        "true",
        "1e999",
        "-0",
        "\"\\u0000\"",
        "\"\\ud800\"",
        "\"timestamp\"",
        "\"2026-13-45T99:99:99Z\"",
        "\"strategy_override\"",
        "\"mixture\"",
        "\"explain\"",
        "\"risk_check\"",
        "123456789012345678901234567890",
        "\"" + new string('A', 300) + "\"",
        "NaN",
        "'",
        "\\",
        "\u00e9",
        "/*",
        "*/",
    ];

    private static readonly string[] ContentTypes =
    [
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "application/xml",
        "application/json; charset=utf-16",
        "multipart/form-data; boundary=x",
        "application/problem+json",
        "application/vnd.api+json",
        "",
    ];

    [Fact]
    public async Task MalformedRequestsNeverGetA5xxAndTheServiceKeepsServing()
    {
        using var client = factory.CreateClient();
        var random = new Random(20261126);
        var statuses = new Dictionary<int, int>();
        for (var i = 0; i < 3000; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/predict");
            var body = RandomBody(random);
            var content = new ByteArrayContent(body);
            var type = ContentTypes[random.Next(ContentTypes.Length)];
            if (type.Length > 0)
            {
                content.Headers.TryAddWithoutValidation("Content-Type", type);
            }

            request.Content = content;
            if (random.Next(4) == 0)
            {
                request.Headers.TryAddWithoutValidation("X-API-Key", RandomText(random, random.Next(0, 64)));
            }

            if (random.Next(6) == 0)
            {
                request.Headers.TryAddWithoutValidation("traceparent", RandomText(random, 55));
            }

            using var response = await client.SendAsync(request);
            var code = (int)response.StatusCode;
            statuses[code] = statuses.GetValueOrDefault(code) + 1;
            Assert.True(
                code < 500,
                $"{code} for body '{Encoding.UTF8.GetString(body)}' as '{type}': "
                    + $"{await response.Content.ReadAsStringAsync()}"
            );
        }

        Assert.True(
            statuses.GetValueOrDefault(422) > 1000,
            string.Join(", ", statuses.Select(s => $"{s.Key}: {s.Value}"))
        );
        using var valid = await client.PostAsync(
            new Uri("/api/v1/predict", UriKind.Relative),
            WorkerFactory.Json(new { symbol = "NOPE" })
        );
        Assert.Equal(HttpStatusCode.NotFound, valid.StatusCode);
        using var health = await client.GetAsync(new Uri("/health/live", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    private static byte[] RandomBody(Random random)
    {
        switch (random.Next(5))
        {
            case 0:
                var bytes = new byte[random.Next(0, 200)];
                random.NextBytes(bytes);
                return bytes;
            case 1:
                var valid =
                    "{\"symbol\":\"AAPL\",\"timestamp\":\"2026-01-05T14:31:00Z\","
                    + "\"strategy_override\":\"argmax\",\"risk_check\":true,\"explain\":false}";
                return Encoding.UTF8.GetBytes(valid[..random.Next(0, valid.Length)]);
            case 2:
                return Encoding.UTF8.GetBytes(new string('[', random.Next(1, 300)));
            default:
                var text = new StringBuilder();
                for (var n = random.Next(1, 20); n > 0; n--)
                {
                    text.Append(Fragments[random.Next(Fragments.Length)]);
                }

                return Encoding.UTF8.GetBytes(text.ToString());
        }
    }

    private static string RandomText(Random random, int length) =>
        new([.. Enumerable.Range(0, length).Select(_ => (char)random.Next(33, 127))]);
}
