using System.Net;
using System.Text.Json;

namespace Inference.Streaming.PredictApi.FunctionalTests;

/// <summary>The seed's response contract from real state: the demo feed's bars through the real engine.</summary>
public sealed class PredictContractTests(WorkerFactory factory) : IClassFixture<WorkerFactory>
{
    private static readonly string[] Actions = ["HOLD", "BUY", "SELL"];

    [Fact]
    public async Task ASuccessfulPredictionHasEveryFieldOfTheSeedContract()
    {
        using var client = factory.CreateClient();
        using var response = await WorkerFactory.WaitForStateAsync(client, "AAPL", TimeSpan.FromSeconds(60));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = json.RootElement;
        Assert.True(Guid.TryParse(root.GetProperty("decision_id").GetString(), out var id) && id.Version == 5);
        Assert.Equal("AAPL", root.GetProperty("symbol").GetString());
        var action = root.GetProperty("action").GetString();
        Assert.Contains(action, Actions);
        var confidence = root.GetProperty("confidence").GetDouble();
        Assert.InRange(confidence, 1.0 / 3 - 1e-9, 1.0);
        var quantity = root.GetProperty("recommended_quantity").GetInt32();
        Assert.True(action == "HOLD" ? quantity == 0 : quantity >= 1);

        var regime = root.GetProperty("regime_probabilities");
        var (bull, bear, sideways) = (
            regime.GetProperty("bull").GetDouble(),
            regime.GetProperty("bear").GetDouble(),
            regime.GetProperty("sideways").GetDouble()
        );
        Assert.Equal(1.0, bull + bear + sideways, 9);
        Assert.True(regime.GetProperty("entropy").GetDouble() > 0);
        var weights = root.GetProperty("strategy_weights");
        Assert.Equal((bull + 0.1) / 1.3, weights.GetProperty("bull_specialist").GetDouble(), 9);
        Assert.Equal((bear + 0.1) / 1.3, weights.GetProperty("bear_specialist").GetDouble(), 9);
        Assert.Equal((sideways + 0.1) / 1.3, weights.GetProperty("sideways_specialist").GetDouble(), 9);

        var risk = root.GetProperty("risk_validation");
        Assert.True(risk.GetProperty("approved").GetBoolean());
        Assert.Equal(JsonValueKind.Array, risk.GetProperty("warnings").ValueKind);
        foreach (var check in new[] { "position_limit", "concentration", "daily_loss_limit" })
        {
            Assert.Contains(risk.GetProperty("checks").GetProperty(check).GetString(), new[] { "pass", "warning" });
        }

        var metadata = root.GetProperty("metadata");
        // The seed's model_version is the model that decided; the set's id has its own field.
        Assert.Equal(
            metadata.GetProperty("selected_model").GetString(),
            metadata.GetProperty("model_version").GetString()
        );
        Assert.Contains(
            metadata.GetProperty("model_version").GetString(),
            new[] { "bull_specialist", "bear_specialist", "sideways_specialist", "universal" }
        );
        Assert.StartsWith("set-", metadata.GetProperty("model_set").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, metadata.GetProperty("ab_test").ValueKind);
        Assert.True(metadata.GetProperty("latency_ms").GetDouble() >= 0);
        Assert.True(metadata.GetProperty("timestamp").TryGetDateTimeOffset(out _));
        Assert.False(root.TryGetProperty("explanation", out _));
    }

    [Fact]
    public async Task ExplainAddsIntegratedGradientsOverTheNamedFeatures()
    {
        using var client = factory.CreateClient();
        (await WorkerFactory.WaitForStateAsync(client, "MSFT", TimeSpan.FromSeconds(60))).Dispose();

        using var response = await client.PostAsync(
            new Uri("/api/v1/predict", UriKind.Relative),
            WorkerFactory.Json(
                new
                {
                    symbol = "msft",
                    explain = true,
                    strategy_override = "mixture",
                }
            )
        );

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var explanation = json.RootElement.GetProperty("explanation");
        Assert.Equal("integrated_gradients", explanation.GetProperty("method").GetString());
        var attributions = explanation.GetProperty("attributions").EnumerateArray().ToList();
        Assert.Equal(43, attributions.Count);
        Assert.Equal("cash_ratio", attributions[0].GetProperty("feature").GetString());
        Assert.Equal("return_lag_1", attributions[42].GetProperty("feature").GetString());
        Assert.InRange(Math.Abs(explanation.GetProperty("completeness_gap").GetDouble()), 0, 0.01);
        Assert.Equal("mixture", json.RootElement.GetProperty("metadata").GetProperty("selection").GetString());
    }

    [Theory]
    [InlineData("{}", "symbol")]
    [InlineData("{\"symbol\": \"\"}", "symbol")]
    [InlineData("{\"symbol\": \"ABCDEFGHIJKLMNOPQRSTU\"}", "symbol")]
    [InlineData("{\"symbol\": 42}", "symbol")]
    [InlineData("{\"symbol\": \"AAPL\", \"risk_check\": \"yes\"}", "risk_check")]
    [InlineData("{\"symbol\": \"AAPL\"", "body")]
    [InlineData("null", "symbol")]
    public async Task AnInvalidRequestIs422WithProblemDetails(string body, string field)
    {
        using var client = factory.CreateClient();
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");

        using var response = await client.PostAsync(new Uri("/api/v1/predict", UriKind.Relative), content);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.True(
            json.RootElement.GetProperty("errors").TryGetProperty(field, out _),
            await response.Content.ReadAsStringAsync()
        );
    }

    [Fact]
    public async Task ANonJsonBodyIs422()
    {
        using var client = factory.CreateClient();
        using var content = new StringContent(
            "symbol=AAPL",
            System.Text.Encoding.UTF8,
            "application/x-www-form-urlencoded"
        );

        using var response = await client.PostAsync(new Uri("/api/v1/predict", UriKind.Relative), content);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
    }

    [Fact]
    public async Task AnUnknownStrategyOverrideIs400()
    {
        using var client = factory.CreateClient();

        using var response = await client.PostAsync(
            new Uri("/api/v1/predict", UriKind.Relative),
            WorkerFactory.Json(new { symbol = "AAPL", strategy_override = "ensemble" })
        );

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("ensemble", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnknownExplainMethodIs400AndExpectedGradientsWithoutABackgroundSetIs422()
    {
        using var client = factory.CreateClient();
        (await WorkerFactory.WaitForStateAsync(client, "AAPL", TimeSpan.FromSeconds(60))).Dispose();

        using var unknown = await client.PostAsync(
            new Uri("/api/v1/predict", UriKind.Relative),
            WorkerFactory.Json(new { symbol = "AAPL", explain_method = "lime" })
        );
        // The fixture directory has no background.json.
        using var unavailable = await client.PostAsync(
            new Uri("/api/v1/predict", UriKind.Relative),
            WorkerFactory.Json(new { symbol = "AAPL", explain_method = "expected_gradients" })
        );

        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("'lime'", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, unavailable.StatusCode);
        Assert.Equal("application/problem+json", unavailable.Content.Headers.ContentType?.MediaType);
        Assert.Contains("no background.json", await unavailable.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASymbolWithoutStateIs404()
    {
        using var client = factory.CreateClient();

        using var response = await client.PostAsync(
            new Uri("/api/v1/predict", UriKind.Relative),
            WorkerFactory.Json(new { symbol = "NOPE" })
        );

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task ATimestampOutsideTheHeldBarsIs422()
    {
        using var client = factory.CreateClient();
        (await WorkerFactory.WaitForStateAsync(client, "AAPL", TimeSpan.FromSeconds(60))).Dispose();

        using var response = await client.PostAsync(
            new Uri("/api/v1/predict", UriKind.Relative),
            WorkerFactory.Json(new { symbol = "AAPL", timestamp = "1999-01-01T00:00:00Z" })
        );

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("timestamp", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATimestampInsideAHeldBarAnswersForThatBar()
    {
        using var client = factory.CreateClient();
        using var latest = await WorkerFactory.WaitForStateAsync(client, "NVDA", TimeSpan.FromSeconds(60));
        using var latestJson = JsonDocument.Parse(await latest.Content.ReadAsStringAsync());
        var barEnd = latestJson.RootElement.GetProperty("metadata").GetProperty("bar_end").GetDateTimeOffset();

        using var response = await client.PostAsync(
            new Uri("/api/v1/predict", UriKind.Relative),
            WorkerFactory.Json(new { symbol = "NVDA", timestamp = barEnd.AddSeconds(-5) })
        );

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(barEnd, json.RootElement.GetProperty("metadata").GetProperty("bar_end").GetDateTimeOffset());
    }

    [Fact]
    public async Task MetricsCarryTheSeedsNamesAndTheStreamsAfterTraffic()
    {
        var metrics = await MetricsAfterTrafficAsync("AAPL");

        foreach (
            var name in new[]
            {
                "predictions_total{",
                "status=\"success\"",
                "status=\"404\"",
                "prediction_latency_seconds_bucket{",
                "active_requests{",
                "model_load_time_seconds_count{",
                "inference_ticks_consumed_total{",
                "inference_bars_closed_total{",
                "inference_decisions_total{",
                "inference_batch_size_bucket{",
                "inference_batch_duration_seconds_bucket{",
                "inference_tick_to_decision_duration_seconds_bucket{",
                "inference_stage_duration_seconds_bucket{",
                "stage=\"handle\"",
                "stage=\"queue\"",
                "stage=\"forward\"",
                "stage=\"publish\"",
                "stage=\"acknowledge\"",
                "inference_cpu_time_seconds_total{",
                "dotnet_gc_heap_total_allocated_bytes_total{",
                "dotnet_gc_pause_time_seconds_total{",
            }
        )
        {
            Assert.Contains(name, metrics, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task TheGrafanaDashboardQueriesOnlyMetricsTheWorkerExports()
    {
        var metrics = await MetricsAfterTrafficAsync("MSFT");

        var exported = metrics
            .Split('\n')
            .Where(l => l.Length > 0 && l[0] != '#')
            .Select(l => l[..l.IndexOfAny(['{', ' '])])
            .ToHashSet(StringComparer.Ordinal);
        // Instruments appear on /metrics only once measured (no dead letter, no GPU here): every
        // declared instrument's Prometheus names count, and the naming is checked on those exported.
        var declared = DeclaredPrometheusNames(factory.Services);
        foreach (var (instrument, names) in declared.Where(d => d.Value.Any(exported.Contains)))
        {
            Assert.True(names.All(exported.Contains), $"{instrument}: expected {string.Join(", ", names)} on /metrics");
        }

        var dashboard = Path.Combine(
            Inference.Streaming.Tests.RepositoryRoot.Path,
            "compose",
            "grafana",
            "dashboards",
            "inference-streaming.json"
        );
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(dashboard));
        var queried = json
            .RootElement.GetProperty("panels")
            .EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .SelectMany(t => PromQl.MetricNames(t.GetProperty("expr").GetString()!))
            .ToHashSet(StringComparer.Ordinal);

        Assert.True(queried.Count >= 10, string.Join(", ", queried));
        foreach (var name in queried)
        {
            Assert.True(
                exported.Contains(name) || declared.Values.Any(n => n.Contains(name)),
                $"the dashboard queries {name}, which the worker neither exports nor declares"
            );
        }

        foreach (
            var panel in new[]
            {
                "Throughput",
                "Tick-to-decision latency",
                "Success and error rates",
                "Action distribution",
                "GPU utilisation",
                "Consumer lag",
                "CPU by thread role",
                "Allocation and GC",
            }
        )
        {
            Assert.Contains(
                json.RootElement.GetProperty("panels").EnumerateArray(),
                p => p.GetProperty("title").GetString() == panel
            );
        }
    }

    [Fact]
    public async Task AnotherHostInTheSameProcessStoppingLeavesThisHostsMetricsInPlace()
    {
        // OpenTelemetry listens to meters by name, so another host's meters of the same names used to share this
        // host's metric streams, and its disposal ended them here (opentelemetry-dotnet#6412): the stream's counters
        // left /metrics after the next scrape or two. CI saw it as a dashboard test's missing metric.
        using var client = factory.CreateClient();
        _ = await MetricsAfterTrafficAsync("AAPL");
        await using (var other = new WorkerFactory())
        {
            using var otherClient = other.CreateClient();
            await WorkerFactory.WaitUntilReadyAsync(otherClient);
        }

        for (var scrape = 0; scrape < 3; scrape++)
        {
            await Task.Delay(500);
            var metrics = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
            foreach (
                var name in new[]
                {
                    "inference_ticks_consumed_total{",
                    "inference_decisions_total{",
                    "inference_cpu_time_seconds_total{",
                    "predictions_total{",
                }
            )
            {
                Assert.True(metrics.Contains(name, StringComparison.Ordinal), $"scrape {scrape}: no {name}");
            }
        }
    }

    // A served and a refused prediction, then /metrics once the first decision is counted (it is
    // acknowledged a moment after its bar's state is visible).
    private async Task<string> MetricsAfterTrafficAsync(string symbol)
    {
        using var client = factory.CreateClient();
        (await WorkerFactory.WaitForStateAsync(client, symbol, TimeSpan.FromSeconds(60))).Dispose();
        (
            await client.PostAsync(
                new Uri("/api/v1/predict", UriKind.Relative),
                WorkerFactory.Json(new { symbol = "NOPE" })
            )
        ).Dispose();
        var metrics = string.Empty;
        for (
            var deadline = DateTime.UtcNow.AddSeconds(30);
            !metrics.Contains("inference_decisions_total{", StringComparison.Ordinal) && DateTime.UtcNow < deadline;
            await Task.Delay(200)
        )
        {
            metrics = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        }

        Assert.True(
            metrics.Contains("inference_decisions_total{", StringComparison.Ordinal),
            "no decision counted on /metrics within 30 s"
        );
        return metrics;
    }

    // The OpenTelemetry Prometheus exporter's names: unit suffix (annotations in braces dropped), _total for counters,
    // histogram series.
    private static Dictionary<string, string[]> DeclaredPrometheusNames(IServiceProvider services)
    {
        string[] meters =
        [
            Inference.Streaming.Worker.Diagnostics.PipelineMetrics.MeterName,
            PredictMetrics.MeterName,
            Inference.Streaming.Engine.Inference.ModelCatalog.MeterName,
            Inference.Streaming.Worker.Diagnostics.GpuMetrics.MeterName,
        ];
        var found = new Dictionary<string, string[]>(StringComparer.Ordinal);
        using var listener = new System.Diagnostics.Metrics.MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (!meters.Contains(instrument.Meter.Name))
                {
                    return;
                }

                var unit = instrument.Unit switch
                {
                    "s" => "_seconds",
                    "By" => "_bytes",
                    "%" => "_percent",
                    "1" => "_ratio",
                    _ => string.Empty,
                };
                var name = instrument.Name + unit;
                var kind = instrument.GetType().GetGenericTypeDefinition();
                string[] names =
                    kind == typeof(System.Diagnostics.Metrics.Histogram<>)
                        ? [name + "_bucket", name + "_sum", name + "_count"]
                    : kind == typeof(System.Diagnostics.Metrics.Counter<>)
                    || kind == typeof(System.Diagnostics.Metrics.ObservableCounter<>)
                        ? [name + "_total"]
                    : [name];
                lock (found)
                {
                    found[instrument.Name] = names;
                }
            },
        };
        _ = services.GetService(typeof(Inference.Streaming.Worker.Diagnostics.GpuMetrics));
        listener.Start();
        return found;
    }

    [Fact]
    public async Task TheOpenApiDocumentDescribesPredict()
    {
        using var client = factory.CreateClient();

        var document = await client.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative));

        using var json = JsonDocument.Parse(document);
        var predict = json.RootElement.GetProperty("paths").GetProperty("/api/v1/predict").GetProperty("post");
        foreach (var code in new[] { "200", "400", "403", "404", "422", "503" })
        {
            Assert.True(
                predict.GetProperty("responses").TryGetProperty(code, out _),
                $"no {code} in the OpenAPI document"
            );
        }
    }
}
