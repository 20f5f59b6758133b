using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Inference.Streaming.Tests;

namespace Inference.Streaming.LoadGenerator;

/// <summary>Sends a fixed number of requests with a fixed number in flight, and measures each.</summary>
internal static class LoadRun
{
    public static async Task<RunResult> ExecuteAsync(
        HttpClient http,
        LoadOptions options,
        string target,
        Func<int, HttpRequestMessage> request,
        bool parseAction
    )
    {
        var latencies = new double[options.Requests];
        var statuses = new ConcurrentDictionary<string, int>();
        var errors = new ConcurrentDictionary<string, int>();
        var actions = new ConcurrentDictionary<string, int>();
        var next = -1;
        var done = 0;
        var clock = Stopwatch.StartNew();
        using var progress = new Timer(
            _ => Progress(target, Volatile.Read(ref done), options.Requests, clock.Elapsed),
            null,
            250,
            250
        );
        var workers = Enumerable
            .Range(0, options.Concurrent)
            .Select(_ =>
                Task.Run(async () =>
                {
                    for (
                        var i = Interlocked.Increment(ref next);
                        i < options.Requests;
                        i = Interlocked.Increment(ref next)
                    )
                    {
                        var started = Stopwatch.GetTimestamp();
                        try
                        {
                            using var message = request(i);
                            using var response = await http.SendAsync(message);
                            var body = await response.Content.ReadAsByteArrayAsync();
                            latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                            statuses.AddOrUpdate(
                                ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture),
                                1,
                                (_, n) => n + 1
                            );
                            if (parseAction && response.IsSuccessStatusCode)
                            {
                                using var json = JsonDocument.Parse(body);
                                actions.AddOrUpdate(
                                    json.RootElement.GetProperty("action").GetString() ?? "?",
                                    1,
                                    (_, n) => n + 1
                                );
                            }
                        }
                        catch (Exception ex)
                            when (ex is HttpRequestException or TaskCanceledException or JsonException or IOException)
                        {
                            latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                            errors.AddOrUpdate(ex.GetType().Name, 1, (_, n) => n + 1);
                        }

                        Interlocked.Increment(ref done);
                    }
                })
            )
            .ToArray();
        await Task.WhenAll(workers);
        var elapsed = clock.Elapsed;
        Progress(target, options.Requests, options.Requests, elapsed);
        Console.Error.WriteLine();

        Array.Sort(latencies);
        double P(double q) => Percentiles.OfSorted(latencies, q);
        var successes = statuses.Where(s => s.Key.StartsWith('2')).Sum(s => s.Value);
        return new RunResult(
            target,
            options.Requests,
            options.Concurrent,
            elapsed.TotalSeconds,
            options.Requests / elapsed.TotalSeconds,
            (double)successes / options.Requests,
            new Dictionary<string, double>
            {
                ["p50"] = P(0.50),
                ["p75"] = P(0.75),
                ["p90"] = P(0.90),
                ["p95"] = P(0.95),
                ["p99"] = P(0.99),
                ["mean"] = latencies.Average(),
                ["min"] = latencies[0],
                ["max"] = latencies[^1],
            },
            statuses.OrderBy(s => s.Key, StringComparer.Ordinal).ToDictionary(),
            errors.OrderBy(s => s.Key, StringComparer.Ordinal).ToDictionary(),
            actions.OrderBy(s => s.Key, StringComparer.Ordinal).ToDictionary()
        );
    }

    /// <summary>Waits until predict answers 200 for the first symbol (the stream has closed a bar).</summary>
    public static async Task WarmUpAsync(HttpClient http, LoadOptions options, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            using var response = await http.PostAsJsonAsync(
                new Uri(options.Url, "/api/v1/predict"),
                new { symbol = options.Symbols[0] }
            );
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            await Task.Delay(500);
        }

        throw new InvalidOperationException($"predict never answered 200 for {options.Symbols[0]} within {timeout}");
    }

    private static void Progress(string target, int done, int total, TimeSpan elapsed)
    {
        const int width = 30;
        var filled = total == 0 ? width : done * width / total;
        Console.Error.Write(
            $"\r{target, -14} [{new string('#', filled)}{new string('.', width - filled)}] {done, 7}/{total} "
                + $"{done / Math.Max(elapsed.TotalSeconds, 1e-9), 8:F0} req/s"
        );
    }
}
