using System.Globalization;
using System.Text;
using System.Text.Json;
using Inference.Streaming.LoadGenerator;

// The seed's load_test.py, improved: predict under load with a fixed concurrency, then the same
// run against GET /health/live on the same server as the floor, side by side.
// dotnet run -c Release --project tests/LoadGenerator -- --url http://127.0.0.1:8000 --requests 20000 --concurrent 32
// --output results.json
if (LoadOptions.Parse(args, Console.Out, Console.Error, out var exitCode) is not { } options)
{
    return exitCode;
}

using var http = new HttpClient(
    new SocketsHttpHandler
    {
        MaxConnectionsPerServer = options.Concurrent,
        PooledConnectionLifetime = TimeSpan.FromMinutes(10),
    }
)
{
    Timeout = TimeSpan.FromSeconds(30),
};
await LoadRun.WarmUpAsync(http, options, TimeSpan.FromSeconds(90));

var predictUri = new Uri(options.Url, "/api/v1/predict");
var bodies = options
    .Symbols.Select(s =>
        Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { symbol = s, explain = options.Explain }))
    )
    .ToArray();
HttpRequestMessage Predict(int i)
{
    var message = new HttpRequestMessage(HttpMethod.Post, predictUri)
    {
        Content = new ByteArrayContent(bodies[i % bodies.Length]),
    };
    message.Content.Headers.ContentType = new("application/json");
    if (options.ApiKey is { } key)
    {
        message.Headers.Add("X-API-Key", key);
    }

    return message;
}

// A short warm-up pass, not measured, so the JIT and connection pool are ready for both runs.
await LoadRun.ExecuteAsync(
    http,
    options with
    {
        Requests = Math.Min(2000, options.Requests),
    },
    "warm-up",
    Predict,
    parseAction: false
);
var predict = await LoadRun.ExecuteAsync(http, options, "predict", Predict, parseAction: true);
var liveUri = new Uri(options.Url, "/health/live");
RunResult? floor = options.Floor
    ? await LoadRun.ExecuteAsync(
        http,
        options,
        "health/live",
        _ => new HttpRequestMessage(HttpMethod.Get, liveUri),
        parseAction: false
    )
    : null;

Print(predict, floor);
if (options.Output is { } output)
{
    await File.WriteAllTextAsync(
        output,
        JsonSerializer.Serialize(new { predict, floor }, new JsonSerializerOptions { WriteIndented = true })
    );
    Console.WriteLine($"results written to {output}");
}

return predict.SuccessRate > 0 ? 0 : 1;

static void Print(RunResult predict, RunResult? floor)
{
    string Cell(RunResult? run, Func<RunResult, string> value) => run is null ? "-" : value(run);
    var rows = new List<(string, Func<RunResult, string>)>
    {
        ("requests", r => r.Requests.ToString(CultureInfo.InvariantCulture)),
        ("concurrent", r => r.Concurrent.ToString(CultureInfo.InvariantCulture)),
        ("requests/s", r => r.RequestsPerSecond.ToString("F0", CultureInfo.InvariantCulture)),
        ("success rate", r => r.SuccessRate.ToString("P2", CultureInfo.InvariantCulture)),
    };
    foreach (var key in new[] { "p50", "p75", "p90", "p95", "p99", "mean", "min", "max" })
    {
        rows.Add(($"{key} ms", r => r.LatencyMs[key].ToString("F3", CultureInfo.InvariantCulture)));
    }

    rows.Add(("status codes", r => string.Join(' ', r.StatusCodes.Select(s => $"{s.Key}:{s.Value}"))));
    rows.Add(
        (
            "error types",
            r => r.ErrorTypes.Count == 0 ? "none" : string.Join(' ', r.ErrorTypes.Select(s => $"{s.Key}:{s.Value}"))
        )
    );
    rows.Add(
        ("actions", r => r.Actions.Count == 0 ? "-" : string.Join(' ', r.Actions.Select(s => $"{s.Key}:{s.Value}")))
    );
    Console.WriteLine();
    Console.WriteLine($"| {"", -13} | {"predict", -26} | {"health/live (floor)", -26} |");
    Console.WriteLine($"|{new string('-', 15)}|{new string('-', 28)}|{new string('-', 28)}|");
    foreach (var (name, value) in rows)
    {
        Console.WriteLine($"| {name, -13} | {Cell(predict, value), -26} | {Cell(floor, value), -26} |");
    }

    if (floor is not null)
    {
        Console.WriteLine($"\npredict p99 / floor p99 = {predict.LatencyMs["p99"] / floor.LatencyMs["p99"]:F2}");
    }
}
