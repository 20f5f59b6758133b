using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Contracts.Rest;
using Inference.Streaming.Tests;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Kafka;

namespace Inference.Streaming.Benchmarks;

/// <summary>
/// <c>--embedded [--minutes 30] [--worker-dir DIR] [-- worker args]</c>: the main job exactly as a
/// user starts it (embedded broker, registry, demo feed, worker, no HTTP load), run as its own
/// process. Every minute it prints the process's CPU, split by thread (from
/// <c>/proc/PID/task/*/stat</c>), its resident memory, the decisions an independent consumer read
/// from <c>trading-decisions</c> in that minute, and the median and p99 of their <c>latency_ms</c>
/// (the worker's tick-to-decision time). Linux only.
/// </summary>
internal static class EmbeddedSoak
{
    public static async Task RunAsync(string[] args)
    {
        var minutes = Option(args, "--minutes", 30);
        var separator = Array.IndexOf(args, "--");
        var workerArgs = separator >= 0 ? args[(separator + 1)..] : [];
        var directory = OptionText(args, "--worker-dir") ?? AppContext.BaseDirectory;
        var port = FreePort();
        using var worker = StartWorker(directory, port, workerArgs);
        try
        {
            await MeasureAsync(worker, port, minutes);
        }
        finally
        {
            if (!worker.HasExited)
            {
                worker.Kill();
                await worker.WaitForExitAsync();
            }
        }
    }

    private static async Task MeasureAsync(Process worker, int port, int minutes)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        var environment = await WaitForEmbeddedAsync(http, worker);
        Console.WriteLine(
            $"worker pid {worker.Id}, broker {environment.BootstrapServers}, registry {environment.SchemaRegistryUrl}"
        );

        using var registry = new CachedSchemaRegistryClient(
            new SchemaRegistryConfig { Url = environment.SchemaRegistryUrl }
        );
        var serde = new ContractSerde<TradingDecision>(registry);
        var perMinute = new List<double>[minutes + 2];
        for (var i = 0; i < perMinute.Length; i++)
        {
            perMinute[i] = [];
        }

        var clock = Stopwatch.StartNew();
        using var done = new CancellationTokenSource();
        var reader = Task.Factory.StartNew(
            () =>
            {
                using var consumer = new ConsumerBuilder<byte[]?, byte[]>(
                    new ConsumerConfig
                    {
                        BootstrapServers = environment.BootstrapServers,
                        GroupId = "embedded-soak-" + Guid.NewGuid().ToString("N"),
                        AutoOffsetReset = AutoOffsetReset.Latest,
                        EnableAutoCommit = false,
                    }
                ).Build();
                consumer.Subscribe("trading-decisions");
                while (!done.IsCancellationRequested)
                {
                    var record = consumer.Consume(TimeSpan.FromMilliseconds(200));
                    if (record?.Message?.Value is { } value)
                    {
                        var minute = (int)clock.Elapsed.TotalMinutes;
                        var decision = serde.Deserialize(value, "trading-decisions");
                        lock (perMinute)
                        {
                            perMinute[Math.Min(minute, perMinute.Length - 1)].Add(decision.latency_ms);
                        }
                    }
                }

                consumer.Close();
            },
            TaskCreationOptions.LongRunning
        );

        Console.WriteLine(
            "minute,cpu_pct,mock_pct,brokers_pct,dotnet_pct,other_pct,"
                + "rss_mb,decisions,latency_p50_ms,latency_p99_ms,top_threads"
        );
        var previous = CpuAccounting.Threads(worker.Id);
        for (var minute = 1; minute <= minutes && !worker.HasExited; minute++)
        {
            var due = TimeSpan.FromMinutes(minute) - clock.Elapsed;
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due);
            }

            var current = CpuAccounting.Threads(worker.Id);
            var used = current
                .Select(t =>
                    (t.Key, Pct: (t.Value.Seconds - previous.GetValueOrDefault(t.Key).Seconds) / 60 * 100, t.Value.Name)
                )
                .Where(t => t.Pct > 0)
                .ToList();
            previous = current;
            double Sum(Func<string, bool> which) => used.Where(t => which(t.Name)).Sum(t => t.Pct);
            var mock = Sum(n => n.StartsWith("rdk:mock", StringComparison.Ordinal));
            var brokers = Sum(n =>
                n.StartsWith("rdk:", StringComparison.Ordinal) && !n.StartsWith("rdk:mock", StringComparison.Ordinal)
            );
            var dotnet = Sum(n => n.StartsWith(".NET", StringComparison.Ordinal));
            var total = used.Sum(t => t.Pct);
            var top = string.Join(
                ' ',
                used.GroupBy(t => t.Name)
                    .Select(g => (g.Key, Pct: g.Sum(t => t.Pct)))
                    .OrderByDescending(g => g.Pct)
                    .Take(4)
                    .Select(g => FormattableString.Invariant($"{g.Key.Replace(' ', '_')}={g.Pct:F1}"))
            );
            List<double> latencies;
            lock (perMinute)
            {
                latencies = [.. perMinute[minute - 1].Order()];
            }

            Console.WriteLine(
                FormattableString.Invariant(
                    $"{minute},{total:F1},{mock:F1},{brokers:F1},{dotnet:F1},{total - mock - brokers - dotnet:F1},"
                )
                    + FormattableString.Invariant($"{Rss(worker.Id):F0},{latencies.Count},")
                    + FormattableString.Invariant(
                        $"{Percentiles.OfSorted(latencies, 0.5):F1},{Percentiles.OfSorted(latencies, 0.99):F1},{top}"
                    )
            );
        }

        await done.CancelAsync();
        await reader;
    }

    private static async Task<EmbeddedEnvironment> WaitForEmbeddedAsync(HttpClient http, Process worker)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(2) && !worker.HasExited)
        {
            try
            {
                var environment = await http.GetFromJsonAsync<EmbeddedEnvironment>("/api/v1/embedded");
                if (environment is not null)
                {
                    return environment;
                }
            }
            catch (HttpRequestException) { }

            await Task.Delay(250);
        }

        throw new InvalidOperationException("The worker did not serve /api/v1/embedded within 2 minutes.");
    }

    private static double Rss(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status")
            .FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return line is null
            ? double.NaN
            : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture)
                / 1024;
    }

    private static Process StartWorker(string directory, int port, string[] extra)
    {
        var start = ProgramLauncher.StartInfo(directory, "Worker", directory, []);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        start.ArgumentList.Add("--Models:Directory");
        start.ArgumentList.Add(RepositoryModels());
        foreach (var arg in extra)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && line.Contains("warn", StringComparison.OrdinalIgnoreCase))
            {
                Console.WriteLine("  worker " + line.Trim());
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                Console.WriteLine("  worker! " + line);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>The repository's <c>models</c> folder: what <c>dotnet run --project src/Worker</c> serves.</summary>
    private static string RepositoryModels()
    {
        for (
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            directory is not null;
            directory = directory.Parent
        )
        {
            if (File.Exists(Path.Combine(directory.FullName, "Inference.Streaming.sln")))
            {
                return Path.Combine(directory.FullName, "models");
            }
        }

        throw new InvalidOperationException("Inference.Streaming.sln not found above " + AppContext.BaseDirectory);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static int Option(string[] args, string name, int fallback) =>
        OptionText(args, name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

    private static string? OptionText(string[] args, string name)
    {
        var separator = Array.IndexOf(args, "--");
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length && (separator < 0 || index < separator) ? args[index + 1] : null;
    }
}
