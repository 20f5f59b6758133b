using System.Net;
using System.Text;
using System.Text.Json;
using Inference.Streaming.Tests;
using Inference.Streaming.Worker.IntegrationTests.Interop;
using Xunit.Abstractions;

namespace Inference.Streaming.Worker.IntegrationTests.Hosting;

/// <summary>
/// The README's five-step tour, run as a new user runs it: the main job with no configuration (here with JSON
/// console logs, the one setting the docs give for them), then health, models, metrics, <c>tail</c> as a
/// process of its own (finding the embedded broker through the API), and a predict call for a symbol it
/// printed; the API reference at <c>/docs</c> and the order router's Python example consumer against the same
/// stream.
/// </summary>
public sealed class TourTests(ITestOutputHelper output)
{
    private const string Python = "/usr/bin/python3";

    [Fact]
    public async Task TheReadmeTourEndsWithADecodedDecisionAndAPredictAnswer()
    {
        await using var worker = WorkerProcess.Start(
            "--urls",
            "http://127.0.0.1:0",
            "--Logging:Console:FormatterName",
            "json"
        );
        await worker.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
        var api = worker.Banner["api"];
        using var http = new HttpClient { BaseAddress = new Uri(api) };

        // 1. ready; 2. the models; 3. the stream moving.
        await Eventually.HoldsAsync(
            async () => (await http.GetAsync(new Uri("/health/ready", UriKind.Relative))).IsSuccessStatusCode,
            TimeSpan.FromSeconds(60),
            "the worker is ready"
        );
        using (var models = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/v1/models", UriKind.Relative))))
        {
            Assert.Equal(4, models.RootElement.GetProperty("total_models").GetInt32());
        }

        await Eventually.CounterReachesAsync(http, "inference_ticks_consumed_total", 1, TimeSpan.FromSeconds(60));

        // 4. tail: a process of its own that asks the API where the broker is, plain and as JSON.
        await using (var tail = WorkerProcess.StartTool("tail", "--max", "2", "--api", api))
        {
            Assert.Equal(0, await tail.WaitForExitAsync(TimeSpan.FromSeconds(90)));
            var lines = DecisionLines(tail.Output);
            Assert.True(lines.Count == 2, "tail printed:\n" + tail.Output);
            Assert.All(lines, l => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ  [A-Z]+ +(HOLD|BUY|SELL)", l));
        }

        string symbol;
        string decisionId;
        await using (var tail = WorkerProcess.StartTool("tail", "--max", "3", "--json", "--api", api))
        {
            Assert.Equal(0, await tail.WaitForExitAsync(TimeSpan.FromSeconds(90)));
            var decisions = tail
                .Output.Split('\n')
                .Where(l => l.StartsWith("{\"decision_id\"", StringComparison.Ordinal))
                .Select(l => JsonDocument.Parse(l).RootElement)
                .ToList();
            Assert.True(decisions.Count == 3, "tail --json printed:\n" + tail.Output);
            symbol = decisions[^1].GetProperty("symbol").GetString()!;
            decisionId = decisions[^1].GetProperty("decision_id").GetString()!;
            Assert.Contains(decisions[^1].GetProperty("action").GetString(), new[] { "HOLD", "BUY", "SELL" });
        }

        // 5. predict: the symbol's latest closed bar, through the same decision function (403 is a risk rejection).
        using (var content = new StringContent($"{{\"symbol\": \"{symbol}\"}}", Encoding.UTF8, "application/json"))
        {
            using var predict = await http.PostAsync(new Uri("/api/v1/predict", UriKind.Relative), content);
            var body = await predict.Content.ReadAsStringAsync();
            output.WriteLine($"tailed {symbol} {decisionId}; predict {(int)predict.StatusCode}: {body}");
            Assert.True(
                predict.StatusCode is HttpStatusCode.OK or HttpStatusCode.Forbidden,
                $"{predict.StatusCode}: {body}"
            );
            if (predict.StatusCode == HttpStatusCode.OK)
            {
                using var answer = JsonDocument.Parse(body);
                Assert.Equal(symbol, answer.RootElement.GetProperty("symbol").GetString());
                Assert.Equal(36, answer.RootElement.GetProperty("decision_id").GetString()!.Length);
            }
        }

        // The API reference and the OpenAPI document's alias, with both credentials as security schemes.
        using (var docs = await http.GetAsync(new Uri("/docs", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
            Assert.Contains("text/html", docs.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        }

        using (var openApi = JsonDocument.Parse(await http.GetStringAsync(new Uri("/openapi.json", UriKind.Relative))))
        {
            var schemes = openApi.RootElement.GetProperty("components").GetProperty("securitySchemes");
            Assert.Equal("X-API-Key", schemes.GetProperty("ApiKey").GetProperty("name").GetString());
            Assert.Equal("bearer", schemes.GetProperty("Bearer").GetProperty("scheme").GetString());
            var predict = openApi.RootElement.GetProperty("paths").GetProperty("/api/v1/predict").GetProperty("post");
            Assert.Equal(2, predict.GetProperty("security").GetArrayLength());
        }

        // JSON console logs: every log record is one JSON object; no line of the plain formatter.
        var logs = worker.Output.Split('\n').Where(l => l.StartsWith('{')).ToList();
        Assert.NotEmpty(logs);
        Assert.All(logs, l => Assert.True(JsonDocument.Parse(l).RootElement.TryGetProperty("Category", out _), l));
        Assert.DoesNotContain(
            worker.Output.Split('\n'),
            l => l.StartsWith("info: ", StringComparison.Ordinal) || l.StartsWith("warn: ", StringComparison.Ordinal)
        );

        await PythonExampleConsumerAsync(worker);
        await CSharpExampleConsumerAsync(worker);
    }

    /// <summary>examples/csharp/ConsumeDecisions (built with the solution) against the same stream.</summary>
    private static async Task CSharpExampleConsumerAsync(WorkerProcess worker)
    {
        var test = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        var marker = Path.Combine("tests", "Worker.IntegrationTests", "bin");
        var at = test.IndexOf(marker, StringComparison.Ordinal);
        var example = Path.Combine(
            test[..at],
            "examples",
            "csharp",
            "ConsumeDecisions",
            "bin",
            test[(at + marker.Length + 1)..],
            "ConsumeDecisions.dll"
        );
        Assert.True(File.Exists(example), "the C# example is built with the solution: " + example);

        var run = await ExternalTool.RunAsync(
            "dotnet",
            [
                example,
                "--bootstrap",
                worker.Banner["kafka.bootstrap"],
                "--registry",
                worker.Banner["schema.registry"],
                "--group",
                "tour-" + Guid.NewGuid().ToString("N"),
                "--from-beginning",
                "--max",
                "5",
                "--timeout",
                "60",
                "--json",
                // The embedded broker holds a rebalance for the session timeout (docs/getting-started.md).
                "--config",
                "session.timeout.ms=6000",
            ],
            TimeSpan.FromSeconds(120)
        );

        var decisions = FiveDecisions(run);
        Assert.Equal(5, decisions.Select(d => d.GetProperty("decision_id").GetString()).Distinct().Count());
        Assert.All(
            decisions,
            d => Assert.Contains(d.GetProperty("action").GetString(), new[] { "HOLD", "BUY", "SELL" })
        );
    }

    /// <summary>examples/python/consume_decisions.py against the same stream, where Debian's client is
    /// installed.</summary>
    private async Task PythonExampleConsumerAsync(WorkerProcess worker)
    {
        if (!ExternalTool.Exists(Python))
        {
            output.WriteLine("python3 is not installed: the example consumer did not run");
            return;
        }

        var probe = await ExternalTool.RunAsync(
            Python,
            ["-c", "import confluent_kafka.schema_registry, avro.io"],
            TimeSpan.FromSeconds(30)
        );
        if (probe.ExitCode != 0)
        {
            output.WriteLine("python3-confluent-kafka is not installed: the example consumer did not run");
            return;
        }

        var run = await ExternalTool.RunAsync(
            Python,
            [
                Path.Combine(RepositoryRoot.Path, "examples", "python", "consume_decisions.py"),
                "--bootstrap",
                worker.Banner["kafka.bootstrap"],
                "--registry",
                worker.Banner["schema.registry"],
                "--from-beginning",
                "--max",
                "5",
                "--timeout",
                "30",
                "--json",
            ],
            TimeSpan.FromSeconds(90)
        );

        var decisions = FiveDecisions(run);
        Assert.All(decisions, d => Assert.Equal(36, d.GetProperty("decision_id").GetString()!.Length));
    }

    /// <summary>An example consumer's run with --max 5 --json: it succeeded and printed five JSON decisions.</summary>
    private static List<JsonElement> FiveDecisions((int ExitCode, string Stdout, string Stderr) run)
    {
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        var decisions = run
            .Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement)
            .ToList();
        Assert.Equal(5, decisions.Count);
        return decisions;
    }

    private static List<string> DecisionLines(string output) =>
        [.. output.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 20 && char.IsDigit(l[0]))];
}
