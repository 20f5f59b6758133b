using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Confluent.SchemaRegistry;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Simulation;
using Inference.Streaming.Tests;
using Inference.Streaming.Worker.Embedded;
using Inference.Streaming.Worker.Embedded.SchemaRegistry;
using Inference.Streaming.Worker.Kafka;

namespace Inference.Streaming.Benchmarks;

/// <summary>
/// The stream end to end on the embedded broker, with the worker as its own process (as deployed):
/// <list type="bullet">
/// <item><c>--pipeline throughput</c>: ticks for many symbols produced in advance, then the worker
/// started; reports ticks/s from the first to the last decision, and that every bar was decided.</item>
/// <item><c>--pipeline latency</c>: the worker running, ticks produced at a fixed rate with
/// wall-clock event times; reports the time from sending the tick that closed a bar to the decision
/// arriving at an independent consumer (p50/p99/max), and the worker's own latency field.</item>
/// </list>
/// </summary>
internal static class PipelineBenchmark
{
    private const string CallCountingDelay = "DOTNET_TC_CallCountingDelayMs";

    public static async Task RunAsync(string[] args)
    {
        var mode = args.Length > 1 ? args[1] : "throughput";
        var symbols = Option(args, "--symbols", 200);
        using var cluster = MockCluster.Start(3);
        await using var registry = await EmbeddedSchemaRegistry.StartAsync(0, CancellationToken.None);
        using var registryClient = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = registry.Url });
        foreach (
            var topic in new[]
            {
                "market-ticks",
                "regime-updates",
                "trading-decisions",
                "decision-forensics",
                "inference-state",
                // For a run with -- --Experiments:Mode Shadow ...: the worker creates topics on no cluster here.
                "trading-decisions.shadow",
            }
        )
        {
            cluster.CreateTopic(topic, 6, 1);
        }

        cluster.CreateTopic("market-ticks.dlq", 1, 1);
        // The fleet's topics for the worker's default group (Kafka:GroupId): its read model and control commands.
        cluster.CreateTopic("inference-streaming-observations", 6, 1);
        cluster.CreateTopic("inference-streaming-control", 1, 1);
        // The whole book's positions table, read and written when Risk:Sectors maps symbols.
        cluster.CreateTopic("inference-streaming-positions", 6, 1);
        var names = Enumerable.Range(0, symbols).Select(i => $"S{i:D3}").ToArray();
        Console.WriteLine($"mode {mode}, {symbols} symbols, 1-second bars, broker {cluster.BootstrapServers}");
        if (mode == "soak")
        {
            await SoakAsync(
                cluster,
                registry.Url,
                registryClient,
                names,
                Option(args, "--rate", 5000),
                Option(args, "--minutes", 10),
                WorkerArgs(args)
            );
        }
        else if (mode == "burst")
        {
            await BurstAsync(cluster, registry.Url, registryClient, names, Option(args, "--burst", 9000));
        }
        else if (mode == "latency")
        {
            await LatencyAsync(
                cluster,
                registry.Url,
                registryClient,
                names,
                Option(args, "--rate", 5000),
                Option(args, "--seconds", 60),
                WorkerArgs(args)
            );
        }
        else
        {
            await ThroughputAsync(
                cluster,
                registry.Url,
                registryClient,
                names,
                Option(args, "--ticks", 500_000),
                Option(args, "--ticks-per-bar", 250),
                WorkerArgs(args)
            );
        }
    }

    private static async Task ThroughputAsync(
        MockCluster cluster,
        string registryUrl,
        ISchemaRegistryClient registry,
        string[] symbols,
        int ticks,
        int ticksPerBar,
        string[] extra
    )
    {
        // Every symbol ticks once per round; a round advances simulated time by 1 s / ticksPerBar,
        // so each symbol closes a 1-second bar every ticksPerBar ticks (250: 50,000 ticks/s over
        // 200 symbols in real time).
        var simulator = new MarketSimulator(
            symbols,
            11,
            new DateTimeOffset(2026, 2, 2, 14, 30, 0, TimeSpan.Zero),
            TimeSpan.FromMilliseconds(1000.0 / ticksPerBar)
        );
        var serde = new ContractSerde<MarketTick>(registry);
        using (var producer = Producer(cluster.BootstrapServers))
        {
            var sent = 0;
            while (sent < ticks)
            {
                foreach (var tick in simulator.NextRound())
                {
                    var value = await serde.SerializeAsync(ToContract(tick), "market-ticks");
                    Produce(producer, "market-ticks", tick.Symbol, value);
                    sent++;
                }
            }

            producer.Flush(TimeSpan.FromSeconds(60));
            ticks = sent;
        }

        var rounds = ticks / symbols.Length;
        var expected = symbols.Length * ((rounds / ticksPerBar) - 1);
        Console.WriteLine($"produced {ticks} ticks, {ticksPerBar} per bar; expecting {expected} decisions");
        var port = FreePort();
        using var worker = StartWorker(cluster.BootstrapServers, registryUrl, port, extra, tierUpAtOnce: true);
        var metrics = new Uri($"http://127.0.0.1:{port}/metrics");
        using var http = new HttpClient();
        var arrivals = new List<long>(expected);
        CpuBudget? first = null;
        var openedAt = 0L;
        Consume(
            cluster.BootstrapServers,
            "trading-decisions",
            expected,
            TimeSpan.FromMinutes(10),
            (_, _) =>
            {
                // The CPU window opens at half the decisions: start-up and model loading stay out of it, and
                // with calls counted from the start (StartWorker) most of the tiered JIT's recompiling too; what
                // is left of it is printed apart.
                if (arrivals.Count == expected / 2)
                {
                    first = CpuBudget.Scrape(http, metrics, worker.Id);
                    openedAt = Stopwatch.GetTimestamp();
                }

                arrivals.Add(Stopwatch.GetTimestamp());
            }
        );
        var last = CpuBudget.Scrape(http, metrics, worker.Id);
        Stop(worker);
        var seconds = Stopwatch.GetElapsedTime(arrivals[0], arrivals[^1]).TotalSeconds;
        var windowTicks = ticks * (arrivals.Count - 1.0) / arrivals.Count;
        Console.WriteLine(
            $"decisions {arrivals.Count}/{expected}; first to last decision {seconds:F2} s; "
                + $"{windowTicks / seconds:F0} ticks/s, "
                + $"{arrivals.Count / seconds:F0} decisions/s"
        );
        var windowDecisions = arrivals.Count - (expected / 2);
        CpuBudget.Print(
            first!,
            last,
            ticks * (double)windowDecisions / arrivals.Count,
            windowDecisions,
            Stopwatch.GetElapsedTime(openedAt, arrivals[^1]).TotalSeconds
        );
    }

    /// <summary>
    /// A burst of new symbols, one tick each, in the middle of a steady market (produced in advance,
    /// then the worker started): how fast the burst's bars are decided, and whether the steady
    /// symbols' decisions keep flowing meanwhile (the longest gap between two of their arrivals
    /// while the burst is being decided).
    /// </summary>
    private static async Task BurstAsync(
        MockCluster cluster,
        string registryUrl,
        ISchemaRegistryClient registry,
        string[] symbols,
        int burst
    )
    {
        const int ticksPerBar = 10;
        var start = new DateTimeOffset(2026, 2, 2, 14, 30, 0, TimeSpan.Zero);
        var simulator = new MarketSimulator(symbols, 11, start, TimeSpan.FromMilliseconds(1000.0 / ticksPerBar));
        var serde = new ContractSerde<MarketTick>(registry);
        const int rounds = 600;
        using (var producer = Producer(cluster.BootstrapServers))
        {
            for (var round = 0; round < rounds; round++)
            {
                if (round == rounds / 2)
                {
                    for (var i = 0; i < burst; i++)
                    {
                        var tick = new MarketTick
                        {
                            symbol = $"B{i:D5}",
                            event_time = start.AddMilliseconds(round * 100).UtcDateTime,
                            price = 50 + (i % 100),
                            size = 10,
                        };
                        Produce(producer, "market-ticks", tick.symbol, serde.Serialize(tick, "market-ticks"));
                    }
                }

                foreach (var tick in simulator.NextRound())
                {
                    Produce(
                        producer,
                        "market-ticks",
                        tick.Symbol,
                        await serde.SerializeAsync(ToContract(tick), "market-ticks")
                    );
                }
            }

            producer.Flush(TimeSpan.FromSeconds(60));
        }

        var steadyExpected = symbols.Length * ((rounds / ticksPerBar) - 1);
        Console.WriteLine(
            $"produced {rounds * symbols.Length} steady ticks and a burst of {burst} new symbols; expecting "
                + $"{steadyExpected + burst} decisions"
        );
        using var worker = StartWorker(cluster.BootstrapServers, registryUrl);
        var burstArrivals = new List<long>(burst);
        var steadyArrivals = new List<long>(steadyExpected);
        Consume(
            cluster.BootstrapServers,
            "trading-decisions",
            steadyExpected + burst,
            TimeSpan.FromMinutes(5),
            (record, arrived) => (record.Message.Key is [(byte)'B', ..] ? burstArrivals : steadyArrivals).Add(arrived)
        );
        Stop(worker);
        var seconds = Stopwatch.GetElapsedTime(burstArrivals[0], burstArrivals[^1]).TotalSeconds;
        var during = steadyArrivals.Where(t => t >= burstArrivals[0] && t <= burstArrivals[^1]).ToList();
        var longest = during
            .Zip(during.Skip(1), (a, b) => Stopwatch.GetElapsedTime(a, b).TotalMilliseconds)
            .DefaultIfEmpty(0)
            .Max();
        Console.WriteLine(
            $"burst: {burstArrivals.Count}/{burst} decided in {seconds:F2} s, {burstArrivals.Count / seconds:F0} "
                + "decisions/s; "
                + $"steady: {steadyArrivals.Count}/{steadyExpected} decided, {during.Count} of them while the burst "
                + $"was decided, longest gap between them {longest:F0} ms"
        );
    }

    private static async Task LatencyAsync(
        MockCluster cluster,
        string registryUrl,
        ISchemaRegistryClient registry,
        string[] symbols,
        int rate,
        int seconds,
        string[] extra
    )
    {
        var (retention, worker, metrics) = StartMeasured(cluster, registryUrl, extra);
        using var trimming = retention;
        using var process = worker;
        await Task.Delay(TimeSpan.FromSeconds(8));
        using var http = new HttpClient();
        StageBudget? before = null;
        CpuBudget? cpuBefore = null;
        long ticksBefore = 0,
            sentTotal = 0,
            cpuFrom = 0;
        var serde = new ContractSerde<MarketTick>(registry);
        var sentAt = new ConcurrentDictionary<(int, long), long>();
        var latencies = new ConcurrentBag<double>();
        var workerLatencies = new ConcurrentBag<double>();
        var queueTimes = new ConcurrentBag<double>();
        var inferenceTimes = new ConcurrentBag<double>();
        var forensicsSerde = new ContractSerde<DecisionForensics>(registry);
        // The first bars pay for JIT and schema registration; measure from the sixth second on.
        var measureFrom = DateTime.UtcNow.AddSeconds(5);
        using var done = new CancellationTokenSource();
        var reader = Task.Factory.StartNew(
            () =>
                Consume(
                    cluster.BootstrapServers,
                    "decision-forensics",
                    int.MaxValue,
                    TimeSpan.FromSeconds(seconds + 30),
                    (record, arrived) =>
                    {
                        var forensics = forensicsSerde.Deserialize(record.Message.Value, record.Topic);
                        if (forensics.decision.bar_start < measureFrom)
                        {
                            return;
                        }

                        if (sentAt.TryGetValue((forensics.input.partition, forensics.input.offset), out var sent))
                        {
                            latencies.Add(Stopwatch.GetElapsedTime(sent, arrived).TotalMilliseconds);
                        }

                        workerLatencies.Add(forensics.decision.latency_ms);
                        queueTimes.Add(forensics.timings.queue_ms);
                        inferenceTimes.Add(forensics.timings.inference_ms);
                    },
                    done.Token
                ),
            TaskCreationOptions.LongRunning
        );

        var random = new Random(5);
        var prices = symbols.Select(_ => 100.0).ToArray();
        using (var producer = Producer(cluster.BootstrapServers))
        {
            var clock = new FixedRate(rate);
            for (long n = 0; clock.Elapsed < TimeSpan.FromSeconds(seconds); n++)
            {
                if (before is null && DateTime.UtcNow >= measureFrom)
                {
                    before = await StageBudget.ScrapeAsync(http, metrics);
                    (cpuBefore, ticksBefore, cpuFrom) = (
                        CpuBudget.Scrape(http, metrics, worker.Id),
                        n,
                        Stopwatch.GetTimestamp()
                    );
                }

                var i = (int)(n % symbols.Length);
                prices[i] *= 1 + ((random.NextDouble() - 0.5) * 0.001);
                var tick = new MarketTick
                {
                    symbol = symbols[i],
                    event_time = DateTime.UtcNow,
                    price = prices[i],
                    size = 100,
                };
                var value = serde.Serialize(tick, "market-ticks");
                var sent = Stopwatch.GetTimestamp();
                producer.Produce(
                    "market-ticks",
                    new Message<byte[]?, byte[]> { Key = Encoding.UTF8.GetBytes(tick.symbol), Value = value },
                    report =>
                    {
                        if (!report.Error.IsError)
                        {
                            sentAt[(report.Partition.Value, report.Offset.Value)] = sent;
                        }
                    }
                );
                await clock.PaceAsync(n);
                sentTotal = n + 1;
            }

            producer.Flush(TimeSpan.FromSeconds(10));
        }

        await Task.Delay(TimeSpan.FromSeconds(3));
        var after = await StageBudget.ScrapeAsync(http, metrics);
        var cpuAfter = CpuBudget.Scrape(http, metrics, worker.Id);
        await done.CancelAsync();
        await reader;
        Stop(worker);
        StageBudget.Print(before ?? after, after);
        if (cpuBefore is not null)
        {
            CpuBudget.Print(
                cpuBefore,
                cpuAfter,
                sentTotal - ticksBefore,
                workerLatencies.Count,
                Stopwatch.GetElapsedTime(cpuFrom).TotalSeconds
            );
        }

        Report("send-to-decision-arrival (ms)", latencies);
        Report("worker latency_ms (consumed to produced)", workerLatencies);
        Report("  of which queue_ms (closed bar waiting for its batch)", queueTimes);
        Report("  of which inference_ms (the batch's forward)", inferenceTimes);
    }

    /// <summary>
    /// Ticks at a fixed rate for many minutes: samples the worker's resident memory every 10 s, and
    /// measures stalls against the bar cadence: each decision's lateness is its <c>produced_at</c> minus its
    /// bar's end (wall-clock event times, so every symbol's bar ends at the same second boundary), and a
    /// burst's lateness is that of the last decision for that bar end. A stall shows as a late burst
    /// whatever the bar interval; the quiet second between bursts does not count. The same is reported at
    /// arrival at an independent consumer, which adds the broker's delivery and this reader's own lag.
    /// </summary>
    private static async Task SoakAsync(
        MockCluster cluster,
        string registryUrl,
        ISchemaRegistryClient registry,
        string[] symbols,
        int rate,
        int minutes,
        string[] extra
    )
    {
        var (retention, worker, metrics) = StartMeasured(cluster, registryUrl, extra);
        using var trimming = retention;
        using var process = worker;
        await Task.Delay(TimeSpan.FromSeconds(8));
        using var http = new HttpClient();
        StageBudget? before = null;
        var serde = new ContractSerde<MarketTick>(registry);
        var decisionSerde = new ContractSerde<TradingDecision>(registry);
        long decisions = 0;
        // Lateness is measured from the 31st second on: the first bars pay for JIT and schema registration.
        var measureFrom = DateTime.UtcNow.AddSeconds(30);
        var lateness = new List<double>();
        var arrivalLateness = new List<double>();
        var burstLateness = new Dictionary<DateTime, double>();
        var burstArrivalLateness = new Dictionary<DateTime, double>();
        using var done = new CancellationTokenSource();
        var reader = Task.Factory.StartNew(
            () =>
                Consume(
                    cluster.BootstrapServers,
                    "trading-decisions",
                    int.MaxValue,
                    TimeSpan.FromMinutes(minutes + 1),
                    (record, _) =>
                    {
                        var arrived = DateTime.UtcNow;
                        Interlocked.Increment(ref decisions);
                        var decision = decisionSerde.Deserialize(record.Message.Value, record.Topic);
                        if (decision.bar_start < measureFrom)
                        {
                            return;
                        }

                        // Produced: the worker's own clock on the record (the same machine's clock as the bar's
                        // end, with wall-clock event times); arrived: this reader's, which adds the broker's
                        // delivery and any lag of this reader.
                        var produced = (decision.produced_at - decision.bar_end).TotalMilliseconds;
                        var late = (arrived - decision.bar_end).TotalMilliseconds;
                        lateness.Add(produced);
                        arrivalLateness.Add(late);
                        burstLateness[decision.bar_end] = Math.Max(
                            burstLateness.GetValueOrDefault(decision.bar_end, double.MinValue),
                            produced
                        );
                        burstArrivalLateness[decision.bar_end] = Math.Max(
                            burstArrivalLateness.GetValueOrDefault(decision.bar_end, double.MinValue),
                            late
                        );
                    },
                    done.Token
                ),
            TaskCreationOptions.LongRunning
        );

        var samples = new List<(double Minutes, double RssMb, double Lag)>();
        var random = new Random(5);
        var prices = symbols.Select(_ => 100.0).ToArray();
        using (var producer = Producer(cluster.BootstrapServers))
        {
            var clock = new FixedRate(rate);
            var nextSample = TimeSpan.Zero;
            for (long n = 0; clock.Elapsed < TimeSpan.FromMinutes(minutes); n++)
            {
                if (before is null && DateTime.UtcNow >= measureFrom)
                {
                    before = await StageBudget.ScrapeAsync(http, metrics);
                }

                var i = (int)(n % symbols.Length);
                prices[i] *= 1 + ((random.NextDouble() - 0.5) * 0.001);
                var tick = new MarketTick
                {
                    symbol = symbols[i],
                    event_time = DateTime.UtcNow,
                    price = prices[i],
                    size = 100,
                };
                Produce(producer, "market-ticks", tick.symbol, serde.Serialize(tick, "market-ticks"));
                if (clock.Elapsed >= nextSample)
                {
                    worker.Refresh();
                    samples.Add(
                        (clock.Elapsed.TotalMinutes, worker.WorkingSet64 / 1048576.0, await TickLagAsync(http, metrics))
                    );
                    nextSample += TimeSpan.FromSeconds(10);
                }

                await clock.PaceAsync(n);
            }

            producer.Flush(TimeSpan.FromSeconds(10));
        }

        await Task.Delay(TimeSpan.FromSeconds(3));
        var after = await StageBudget.ScrapeAsync(http, metrics);
        await done.CancelAsync();
        await reader;
        Stop(worker);
        StageBudget.Print(before ?? after, after);
        Report("decision lateness: produced_at minus bar end (ms)", lateness);
        Report("burst lateness: last decision of a bar end produced, minus the bar end (ms)", burstLateness.Values);
        Report("decision lateness at this reader: arrival minus bar end (ms)", arrivalLateness);
        Report("burst lateness at this reader (ms)", burstArrivalLateness.Values);
        Console.WriteLine(
            FormattableString.Invariant($"bursts {burstLateness.Count}; p99.9 burst lateness ")
                + FormattableString.Invariant($"{Percentiles.Of(burstLateness.Values, 0.999):F1} ms ")
                + FormattableString.Invariant(
                    $"(at this reader {Percentiles.Of(burstArrivalLateness.Values, 0.999):F1} ms)"
                )
        );
        // The worker's consumer lag on market-ticks tells a worker that falls behind from ticks that reach the
        // broker late.
        Console.WriteLine("minute,rss_mb,tick_lag");
        foreach (var (minute, rss, lag) in samples)
        {
            Console.WriteLine(FormattableString.Invariant($"{minute:F2},{rss:F1},{lag:F0}"));
        }

        var afterWarmUp = samples.Where(s => s.Minutes >= 1).ToList();
        Console.WriteLine(
            FormattableString.Invariant(
                $"decisions {decisions}; RSS after 1 min {afterWarmUp[0].RssMb:F1} MB, at end {samples[^1].RssMb:F1} "
            ) + FormattableString.Invariant($"MB, growth {(samples[^1].RssMb / afterWarmUp[0].RssMb - 1) * 100:F1}%")
        );
    }

    /// <summary>The worker's consumer lag on market-ticks, summed over partitions (NaN when not scraped).</summary>
    private static async Task<double> TickLagAsync(HttpClient http, Uri metrics)
    {
        try
        {
            return (await http.GetStringAsync(metrics))
                .Split('\n')
                .Where(l => l.StartsWith("inference_consumer_lag{", StringComparison.Ordinal))
                .Where(l => l.Contains("topic=\"market-ticks\"", StringComparison.Ordinal))
                .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
        }
        catch (HttpRequestException)
        {
            return double.NaN;
        }
    }

    private static void Report(string what, IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            Console.WriteLine($"{what}: no samples");
            return;
        }

        double P(double q) => Percentiles.OfSorted(sorted, q);
        Console.WriteLine(
            FormattableString.Invariant(
                $"{what}: n={sorted.Length} p50={P(0.50):F2} p90={P(0.90):F2} p99={P(0.99):F2} max={sorted[^1]:F2}"
            )
        );
    }

    private static void Consume(
        string bootstrap,
        string topic,
        int count,
        TimeSpan timeout,
        Action<ConsumeResult<byte[]?, byte[]>, long> onRecord,
        CancellationToken cancellationToken = default
    )
    {
        using var consumer = new ConsumerBuilder<byte[]?, byte[]>(
            new ConsumerConfig
            {
                BootstrapServers = bootstrap,
                GroupId = "bench-" + Guid.NewGuid().ToString("N"),
                AutoOffsetReset = AutoOffsetReset.Earliest,
                EnableAutoCommit = false,
                FetchWaitMaxMs = 1,
            }
        ).Build();
        consumer.Subscribe(topic);
        var deadline = Stopwatch.StartNew();
        var seen = 0;
        while (seen < count && deadline.Elapsed < timeout && !cancellationToken.IsCancellationRequested)
        {
            var record = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (record is not null)
            {
                onRecord(record, Stopwatch.GetTimestamp());
                seen++;
            }
        }

        consumer.Close();
    }

    /// <summary>The worker on a free port with the harness's retention running, and its metrics address.</summary>
    private static (HarnessRetention Retention, Process Worker, Uri Metrics) StartMeasured(
        MockCluster cluster,
        string registryUrl,
        string[] extra
    )
    {
        var port = FreePort();
        var retention = HarnessRetention.Start(
            cluster,
            [("market-ticks", 6), ("trading-decisions", 6), ("decision-forensics", 6)],
            TimeSpan.FromSeconds(60)
        );
        return (
            retention,
            StartWorker(cluster.BootstrapServers, registryUrl, port, extra),
            new Uri($"http://127.0.0.1:{port}/metrics")
        );
    }

    private static Process StartWorker(string bootstrap, string registryUrl) =>
        StartWorker(bootstrap, registryUrl, 0, []);

    /// <summary>The worker as its own process; <paramref name="extra"/> (what follows <c>--</c> on the benchmark's
    /// command line) overrides its settings. With <paramref name="tierUpAtOnce"/> the runtime counts calls for the
    /// tiered JIT from the start instead of after its delay, unless the caller's environment sets
    /// <c>DOTNET_TC_CallCountingDelayMs</c> itself: a run over in seconds otherwise measures the JIT's recompiling
    /// and tier-0 code, not a tick's steady cost (0.49-0.65 s of the JIT's thread in the throughput window, and the
    /// ingest thread's CPU per tick 1.6 times the steady figure). It reaches optimised code sooner; dynamic PGO is
    /// off in the worker, so no profile of the early calls shapes that code.</summary>
    private static Process StartWorker(
        string bootstrap,
        string registryUrl,
        int port,
        string[] extra,
        bool tierUpAtOnce = false
    )
    {
        var directory = AppContext.BaseDirectory;
        var start = ProgramLauncher.StartInfo(directory, "Worker", directory, []);
        foreach (
            var arg in new[]
            {
                "--urls",
                $"http://127.0.0.1:{port}",
                "--Kafka:BootstrapServers",
                bootstrap,
                "--SchemaRegistry:Url",
                registryUrl,
                "--Features:BarInterval",
                "00:00:01",
                "--Models:Directory",
                Models.Directory,
                "--DemoFeed:Enabled",
                "false",
                "--Diagnostics:SummaryInterval",
                "00:00:05",
                "--Kafka:Consumer:session.timeout.ms",
                "6000",
                "--Kafka:Consumer:fetch.wait.max.ms",
                "10",
            }
        )
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var arg in extra)
        {
            start.ArgumentList.Add(arg);
        }

        if (tierUpAtOnce && Environment.GetEnvironmentVariable(CallCountingDelay) is null)
        {
            start.Environment[CallCountingDelay] = "0";
        }

        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__Inference.Streaming.Worker.Diagnostics.SummaryReporter"] = "Information";
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) =>
        {
            // The summary line, and anything at Warning or above (the only other levels logged), so a worker that
            // cannot start says why.
            if (e.Data is { } line && (line.Contains("stream:", StringComparison.Ordinal) || IsProblem(line)))
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

    private static bool IsProblem(string line) =>
        line.StartsWith("warn:", StringComparison.Ordinal)
        || line.StartsWith("fail:", StringComparison.Ordinal)
        || line.StartsWith("crit:", StringComparison.Ordinal)
        || line.StartsWith("      ", StringComparison.Ordinal);

    private static void Stop(Process worker)
    {
        if (!worker.HasExited)
        {
            worker.Kill();
            worker.WaitForExit();
        }
    }

    private static IProducer<byte[]?, byte[]> Producer(string bootstrap) =>
        new ProducerBuilder<byte[]?, byte[]>(
            new ProducerConfig
            {
                BootstrapServers = bootstrap,
                LingerMs = 5,
                QueueBufferingMaxMessages = 1_000_000,
                Partitioner = Confluent.Kafka.Partitioner.Murmur2Random,
            }
        ).Build();

    private static void Produce(IProducer<byte[]?, byte[]> producer, string topic, string key, byte[] value)
    {
        while (true)
        {
            try
            {
                producer.Produce(
                    topic,
                    new Message<byte[]?, byte[]> { Key = Encoding.UTF8.GetBytes(key), Value = value }
                );
                return;
            }
            catch (ProduceException<byte[]?, byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
            {
                producer.Poll(TimeSpan.FromMilliseconds(20));
            }
        }
    }

    private static MarketTick ToContract(SimulatedTick tick) =>
        new()
        {
            symbol = tick.Symbol,
            event_time = DateTimeOffset.FromUnixTimeMilliseconds(tick.TimeMs).UtcDateTime,
            price = tick.Price,
            size = tick.Size,
            sequence = tick.Sequence,
        };

    /// <summary>What follows <c>--</c>: settings passed to the worker.</summary>
    private static string[] WorkerArgs(string[] args) =>
        Array.IndexOf(args, "--") is var separator and >= 0 ? args[(separator + 1)..] : [];

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length
            ? int.Parse(args[index + 1], CultureInfo.InvariantCulture)
            : fallback;
    }
}
