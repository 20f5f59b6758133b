using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Inference.Streaming.Worker.IntegrationTests.Hosting;

/// <summary>The REST facade on a real Kestrel port of the worker process, fed by the demo market.</summary>
public sealed class PredictProcessTests
{
    [Fact]
    public async Task PredictAnswersTheSeedContractOverARealPort()
    {
        await using var worker = WorkerProcess.Start(
            "--urls",
            "http://127.0.0.1:0",
            "--DemoFeed:TicksPerSecond",
            "3000",
            "--Features:BarInterval",
            "00:00:10"
        );
        await worker.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
        using var http = new HttpClient { BaseAddress = new Uri(worker.Banner["api"]) };

        HttpResponseMessage response;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        do
        {
            await Task.Delay(250);
            // Without the risk check: whether the demo market's state passes it depends on where the feed is.
            response = await http.PostAsJsonAsync("/api/v1/predict", new { symbol = "spy", risk_check = false });
        } while (response.StatusCode == HttpStatusCode.NotFound && DateTime.UtcNow < deadline);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using (var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()))
        {
            var root = json.RootElement;
            foreach (
                var field in new[]
                {
                    "decision_id",
                    "symbol",
                    "action",
                    "confidence",
                    "recommended_quantity",
                    "regime_probabilities",
                    "strategy_weights",
                    "risk_validation",
                    "metadata",
                }
            )
            {
                Assert.True(root.TryGetProperty(field, out _), $"missing {field}");
            }

            Assert.Equal("SPY", root.GetProperty("symbol").GetString());
        }

        response.Dispose();

        // With it, the seed's two answers: the decision, or a 403 problem carrying the risk validation that refused it.
        using var checkedByRisk = await http.PostAsJsonAsync("/api/v1/predict", new { symbol = "SPY" });
        if (checkedByRisk.StatusCode != HttpStatusCode.OK)
        {
            Assert.Equal(HttpStatusCode.Forbidden, checkedByRisk.StatusCode);
            using var problem = JsonDocument.Parse(await checkedByRisk.Content.ReadAsStringAsync());
            Assert.False(problem.RootElement.GetProperty("risk_validation").GetProperty("approved").GetBoolean());
            Assert.True(checkedByRisk.Headers.Contains("X-Risk-Warnings"));
        }

        using var tooLarge = await http.PostAsync(
            new Uri("/api/v1/predict", UriKind.Relative),
            new StringContent(
                "{\"symbol\":\"SPY\",\"x\":\"" + new string('x', 100_000) + "\"}",
                Encoding.UTF8,
                "application/json"
            )
        );
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        using var invalid = await http.PostAsync(
            new Uri("/api/v1/predict", UriKind.Relative),
            new StringContent("{\"symbol\":", Encoding.UTF8, "application/json")
        );
        Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.StatusCode);
        Assert.Equal("application/problem+json", invalid.Content.Headers.ContentType?.MediaType);
        using var noState = await http.PostAsJsonAsync("/api/v1/predict", new { symbol = "NOPE" });
        Assert.Equal(HttpStatusCode.NotFound, noState.StatusCode);
        Assert.Equal("application/problem+json", noState.Content.Headers.ContentType?.MediaType);
        using var unknownStrategy = await http.PostAsJsonAsync(
            "/api/v1/predict",
            new { symbol = "SPY", strategy_override = "ensemble" }
        );
        Assert.Equal(HttpStatusCode.BadRequest, unknownStrategy.StatusCode);
        Assert.Equal("application/problem+json", unknownStrategy.Content.Headers.ContentType?.MediaType);
        Assert.Contains(
            "predictions_total",
            await http.GetStringAsync(new Uri("/metrics", UriKind.Relative)),
            StringComparison.Ordinal
        );
    }
}
