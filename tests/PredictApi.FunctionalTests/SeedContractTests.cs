using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Inference.Streaming.PredictApi.FunctionalTests;

/// <summary>
/// The seed's clients work unchanged: the request and response examples of the seed's README
/// (<c>Seed/*.json</c>) against the worker, and the seed's documented requests (its runbook's
/// curl lines, <c>strategy_override</c> naming a model, the symbols its clients cycle through).
/// </summary>
public sealed class SeedContractTests(SeedContractTests.Factory factory) : IClassFixture<SeedContractTests.Factory>
{
    /// <summary>The demo feed stops after 40 bars per symbol, so a bar named by time stays held while a test asks about
    /// it.</summary>
    public sealed class Factory : WorkerFactory
    {
        protected override IEnumerable<KeyValuePair<string, string?>> Settings =>
            [new("DemoFeed:MaxTicksPerSymbol", "400")];
    }

    private static readonly string[] ModelNames =
    [
        "bull_specialist",
        "bear_specialist",
        "sideways_specialist",
        "universal",
    ];

    private static readonly Dictionary<string, string[]> SeedDomains = new(StringComparer.Ordinal)
    {
        ["action"] = ["BUY", "SELL", "HOLD"],
        ["risk_validation.checks.position_limit"] = ["pass", "warning", "fail"],
        ["risk_validation.checks.concentration"] = ["pass", "warning", "fail"],
        ["risk_validation.checks.daily_loss_limit"] = ["pass", "warning", "fail"],
        ["metadata.model_version"] = [.. ModelNames, "mixture"],
        ["status"] = ["healthy", "degraded", "operational"],
    };

    [Fact]
    public async Task TheSeedReadmesPredictExampleIsAnsweredInTheSeedsShape()
    {
        using var client = factory.CreateClient();
        var barEnd = await LatestBarEndAsync(client, "AAPL");
        var request = Example("predict-request.json").AsObject();
        // The example's date is not in the stream's state; any time inside a held bar is.
        request["timestamp"] = barEnd
            .AddMilliseconds(-1)
            .ToString("O", System.Globalization.CultureInfo.InvariantCulture);

        using var response = await client.PostAsync(new Uri("/api/v1/predict", UriKind.Relative), Body(request));

        Assert.True(response.StatusCode is HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        AssertSeedShape(Example("predict-response.json"), answer, string.Empty);
        Assert.True(Guid.TryParse(answer["decision_id"]!.GetValue<string>(), out _));
        Assert.Equal(barEnd, answer["metadata"]!["bar_end"]!.GetValue<DateTimeOffset>());
        Assert.True(answer["metadata"]!["timestamp"]!.GetValue<DateTimeOffset>() > barEnd.AddYears(-100));
    }

    [Theory]
    [InlineData("{\"symbol\": \"AAPL\", \"risk_check\": false}")]
    [InlineData("{\"symbol\": \"AAPL\", \"risk_check\": true}")]
    [InlineData("{\"symbol\": \"AAPL\", \"strategy_override\": \"bull_specialist\"}")]
    public async Task TheSeedRunbooksRequestsAreAnsweredInTheSeedsShape(string body)
    {
        using var client = factory.CreateClient();
        await LatestBarEndAsync(client, "AAPL");

        using var response = await client.PostAsync(
            new Uri("/api/v1/predict", UriKind.Relative),
            new StringContent(body, System.Text.Encoding.UTF8, "application/json")
        );

        var text = await response.Content.ReadAsStringAsync();
        var answer = JsonNode.Parse(text)!;
        if (response.StatusCode == HttpStatusCode.Forbidden)
        {
            // The seed's risk rejection: 403, its risk_validation in the problem.
            AssertSeedShape(
                Example("predict-response.json")["risk_validation"]!,
                answer["risk_validation"]!,
                "risk_validation"
            );
            return;
        }

        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        AssertSeedShape(Example("predict-response.json"), answer, string.Empty);
        if (body.Contains("bull_specialist", StringComparison.Ordinal))
        {
            Assert.Equal("bull_specialist", answer["metadata"]!["model_version"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task HealthModelsAndTheRootAnswerInTheSeedsShape()
    {
        using var client = factory.CreateClient();
        await LatestBarEndAsync(client, "MSFT");

        var health = JsonNode.Parse(await client.GetStringAsync(new Uri("/health", UriKind.Relative)))!;
        AssertSeedShape(Example("health-response.json"), health, string.Empty);
        var root = JsonNode.Parse(await client.GetStringAsync(new Uri("/", UriKind.Relative)))!;
        AssertSeedShape(Example("root-response.json"), root, string.Empty);

        var models = JsonNode.Parse(await client.GetStringAsync(new Uri("/api/v1/models", UriKind.Relative)))!;
        var map = Assert.IsType<JsonObject>(models["models"]);
        Assert.Equal(ModelNames, map.Select(m => m.Key));
        Assert.Equal(map.Count, models["total_models"]!.GetValue<int>());
        var seedModel = Example("models-response.json")["models"]!["bull_specialist"]!;
        foreach (var (name, model) in map)
        {
            AssertSeedShape(seedModel, model!, "models." + name);
            Assert.Equal(name, model!["name"]!.GetValue<string>());
            // The worker's extras stay inside each model's object.
            Assert.Equal(64, model["sha256"]!.GetValue<string>().Length);
            Assert.Equal(43, model["input_width"]!.GetValue<int>());
        }
    }

    [Theory]
    [InlineData("AAPL")]
    [InlineData("MSFT")]
    [InlineData("GOOGL")]
    [InlineData("AMZN")]
    [InlineData("TSLA")]
    public async Task EverySymbolTheSeedsClientsUseHasState(string symbol)
    {
        using var client = factory.CreateClient();

        using var response = await WorkerFactory.WaitForStateAsync(client, symbol, TimeSpan.FromSeconds(60));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task AStrategyOverrideNamingALoadedModelDecidesWithThatModelAlone()
    {
        using var client = factory.CreateClient();
        var barEnd = await SettledBarEndAsync(client, "TSLA");
        var at = barEnd.AddMilliseconds(-1);
        var plain = await PredictAsync(
            client,
            new
            {
                symbol = "TSLA",
                timestamp = at,
                risk_check = false,
            }
        );
        var ids = new HashSet<string>(StringComparer.Ordinal) { plain["decision_id"]!.GetValue<string>() };

        foreach (var model in ModelNames)
        {
            var answer = await PredictAsync(
                client,
                new
                {
                    symbol = "TSLA",
                    timestamp = at,
                    risk_check = false,
                    strategy_override = model,
                }
            );

            var metadata = answer["metadata"]!;
            Assert.Equal(model, metadata["model_version"]!.GetValue<string>());
            Assert.Equal(model, metadata["selected_model"]!.GetValue<string>());
            Assert.Equal("override", metadata["selection"]!.GetValue<string>());
            Assert.Equal(
                plain["metadata"]!["model_set"]!.GetValue<string>(),
                metadata["model_set"]!.GetValue<string>()
            );
            // The override is part of the decision's identity: every model gives its own id, none the stream's.
            Assert.True(ids.Add(answer["decision_id"]!.GetValue<string>()), model);
        }

        // The selection rules keep working beside the names.
        var mixture = await PredictAsync(
            client,
            new
            {
                symbol = "TSLA",
                timestamp = at,
                risk_check = false,
                strategy_override = "mixture",
            }
        );
        Assert.Equal("mixture", mixture["metadata"]!["model_version"]!.GetValue<string>());
        var argmax = await PredictAsync(
            client,
            new
            {
                symbol = "TSLA",
                timestamp = at,
                risk_check = false,
                strategy_override = "argmax",
            }
        );
        Assert.Equal(plain["decision_id"]!.GetValue<string>(), argmax["decision_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task OverridingWithTheSameModelTwiceGivesTheSameAnswer()
    {
        using var client = factory.CreateClient();
        var at = (await SettledBarEndAsync(client, "AMZN")).AddMilliseconds(-1);

        var first = await PredictAsync(
            client,
            new
            {
                symbol = "AMZN",
                timestamp = at,
                risk_check = false,
                strategy_override = "bear_specialist",
            }
        );
        var second = await PredictAsync(
            client,
            new
            {
                symbol = "AMZN",
                timestamp = at,
                risk_check = false,
                strategy_override = "bear_specialist",
            }
        );

        foreach (var field in new[] { "decision_id", "action", "confidence", "recommended_quantity" })
        {
            Assert.Equal(first[field]!.ToJsonString(), second[field]!.ToJsonString());
        }
    }

    private static async Task<JsonNode> PredictAsync(HttpClient client, object body)
    {
        using var response = await client.PostAsync(
            new Uri("/api/v1/predict", UriKind.Relative),
            WorkerFactory.Json(body)
        );
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!;
    }

    private static async Task<DateTimeOffset> LatestBarEndAsync(HttpClient client, string symbol)
    {
        using var response = await WorkerFactory.WaitForStateAsync(client, symbol, TimeSpan.FromSeconds(60));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["metadata"]![
            "bar_end"
        ]!.GetValue<DateTimeOffset>();
    }

    /// <summary>The symbol's last bar once the feed has stopped: the same twice, half a second apart.</summary>
    private static async Task<DateTimeOffset> SettledBarEndAsync(HttpClient client, string symbol)
    {
        var last = await LatestBarEndAsync(client, symbol);
        for (var deadline = DateTime.UtcNow.AddSeconds(60); DateTime.UtcNow < deadline; )
        {
            await Task.Delay(500);
            var now = await LatestBarEndAsync(client, symbol);
            if (now == last)
            {
                return now;
            }

            last = now;
        }

        throw new TimeoutException($"the demo feed did not stop for {symbol}");
    }

    private static JsonNode Example(string file) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Seed", file)))!;

    private static StringContent Body(JsonNode node) =>
        new(node.ToJsonString(), System.Text.Encoding.UTF8, "application/json");

    // JSON's types: true and false are both booleans.
    private static JsonValueKind Kind(JsonNode node) =>
        node.GetValueKind() is JsonValueKind.False ? JsonValueKind.True : node.GetValueKind();

    /// <summary>Every field of the seed's example is in the answer with the same JSON type, and in the seed's set of
    /// values where it has one.</summary>
    internal static void AssertSeedShape(JsonNode example, JsonNode? actual, string path)
    {
        Assert.True(actual is not null, $"'{path}' is missing or null; the seed has {example.ToJsonString()}");
        Assert.True(Kind(example) == Kind(actual), $"'{path}' is {Kind(actual)}; the seed's is {Kind(example)}");
        switch (example)
        {
            case JsonObject fields:
                foreach (var (name, value) in fields)
                {
                    var child = path.Length == 0 ? name : path + "." + name;
                    Assert.True(actual.AsObject().ContainsKey(name), $"'{child}' is missing");
                    if (value is not null)
                    {
                        AssertSeedShape(value, actual[name], child);
                    }
                }

                break;
            case JsonArray items when items.Count > 0:
                foreach (var item in actual.AsArray())
                {
                    AssertSeedShape(items[0]!, item, path + "[]");
                }

                break;
            case JsonValue
                when example.GetValueKind() == JsonValueKind.String && SeedDomains.TryGetValue(path, out var domain):
                Assert.Contains(actual.GetValue<string>(), domain);
                break;
        }
    }
}

/// <summary>The worker with one model missing: naming it is a 400, as in the seed.</summary>
public sealed class MissingModelFactory : WorkerFactory
{
    private readonly string _models = Directory.CreateTempSubdirectory("seed-models-").FullName;

    public MissingModelFactory()
    {
        foreach (var name in new[] { "bull_specialist", "sideways_specialist" })
        {
            Directory.CreateDirectory(Path.Combine(_models, name));
            File.Copy(Path.Combine(Fixtures, name, "best_model.pth"), Path.Combine(_models, name, "best_model.pth"));
        }

        File.Copy(Path.Combine(Fixtures, "best_model.pth"), Path.Combine(_models, "best_model.pth"));
    }

    protected override IEnumerable<KeyValuePair<string, string?>> Settings => [new("Models:Directory", _models)];

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        // WebApplicationFactory disposes twice (DisposeAsync, then Dispose): delete once.
        if (disposing && Directory.Exists(_models))
        {
            Directory.Delete(_models, recursive: true);
        }
    }
}

public sealed class MissingModelTests(MissingModelFactory factory) : IClassFixture<MissingModelFactory>
{
    [Fact]
    public async Task AStrategyOverrideNamingAModelThatIsNotLoadedIs400AndTheOthersServe()
    {
        using var client = factory.CreateClient();
        (await WorkerFactory.WaitForStateAsync(client, "AAPL", TimeSpan.FromSeconds(60))).Dispose();

        using var missing = await client.PostAsync(
            new Uri("/api/v1/predict", UriKind.Relative),
            WorkerFactory.Json(new { symbol = "AAPL", strategy_override = "bear_specialist" })
        );
        using var loaded = await client.PostAsync(
            new Uri("/api/v1/predict", UriKind.Relative),
            WorkerFactory.Json(
                new
                {
                    symbol = "AAPL",
                    strategy_override = "sideways_specialist",
                    risk_check = false,
                }
            )
        );

        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
        Assert.Contains(
            "'bear_specialist' names a model that is not loaded",
            await missing.Content.ReadAsStringAsync(),
            StringComparison.Ordinal
        );
        Assert.Equal(HttpStatusCode.OK, loaded.StatusCode);
        var models = JsonNode.Parse(await client.GetStringAsync(new Uri("/api/v1/models", UriKind.Relative)))!;
        Assert.Equal(3, models["total_models"]!.GetValue<int>());
        Assert.Null(models["models"]!["bear_specialist"]);
    }
}
