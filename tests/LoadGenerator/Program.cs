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

var liveUri = new Uri(options.Url, "/health/live");
HttpRequestMessage Live(int i) => new(HttpMethod.Get, liveUri);

// Unmeasured passes over both endpoints first: the server's tiered JIT (and the connection pool) must
// be at its steady state for both, or whichever runs first pays for the other's warm-up.
if (options.WarmUp > 0)
{
    var warm = options with { Requests = options.WarmUp };
    await LoadRun.ExecuteAsync(http, warm, "warm-up", Predict, parseAction: false);
    if (options.Floor)
    {
        await LoadRun.ExecuteAsync(http, warm, "warm-up floor", Live, parseAction: false);
    }
}

var rounds = new List<(RunResult Predict, RunResult? Floor)>();
for (var round = 0; round < options.Rounds; round++)
{
    var predict = await LoadRun.ExecuteAsync(http, options, "predict", Predict, parseAction: true);
    var floor = options.Floor
        ? await LoadRun.ExecuteAsync(http, options, "health/live", Live, parseAction: false)
        : null;
    rounds.Add((predict, floor));
    Print(predict, floor);
}

// The median round by the predict/floor throughput ratio (by predict's throughput without a floor).
static double Ratio((RunResult Predict, RunResult? Floor) r) =>
    r.Floor is null ? r.Predict.RequestsPerSecond : r.Predict.RequestsPerSecond / r.Floor.RequestsPerSecond;
var median = rounds.OrderBy(Ratio).ElementAt(rounds.Count / 2);
if (rounds.Count > 1)
{
    Console.WriteLine($"\nmedian of {rounds.Count} rounds:");
    Print(median.Predict, median.Floor);
}

if (median.Floor is { } medianFloor)
{
    Console.WriteLine(
        $"predict requests/s / floor requests/s = {Ratio(median):F2} (median round, warm-up {options.WarmUp} each)"
    );
}

if (options.Output is { } output)
{
    await File.WriteAllTextAsync(
        output,
        JsonSerializer.Serialize(
            new
            {
                predict = median.Predict,
                floor = median.Floor,
                rounds = rounds.Select(r => new { predict = r.Predict, floor = r.Floor }),
            },
            new JsonSerializerOptions { WriteIndented = true }
        )
    );
    Console.WriteLine($"results written to {output}");
}

return rounds.All(r => r.Predict.SuccessRate > 0) ? 0 : 1;

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
