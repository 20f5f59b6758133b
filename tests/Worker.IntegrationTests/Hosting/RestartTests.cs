using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using Inference.Streaming.Contracts.Events;
using Xunit.Abstractions;

namespace Inference.Streaming.Worker.IntegrationTests.Hosting;

/// <summary>
/// The durable development setup (docs/getting-started.md): the <c>broker</c> command with the demo feed in one
/// process, the worker in another, killed and restarted as a crash or a deploy would. The
/// broker's retention is short here, so the changelog and the ticks lose their oldest records
/// within seconds, as they would after hours at the defaults.
/// </summary>
public sealed partial class RestartTests(ITestOutputHelper output)
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    // librdkafka's default session.timeout.ms: what a dynamic member's restart waits out.
    private static readonly TimeSpan SessionTimeout = TimeSpan.FromSeconds(45);

    private static readonly string[] Symbols = ["AAPL", "AMZN", "GOOGL", "MSFT", "NVDA", "SPY", "TSLA"];

    [Fact]
    public async Task AKilledWorkerDecidesAgainInSecondsRestoresEverySymbolFromATruncatedChangelogAndCountsInputItLost()
    {
        await using var broker = WorkerProcess.Start(
            "broker",
            "--urls",
            "http://127.0.0.1:0",
            "--demo-feed",
            "true",
            "--Embedded:Retention",
            "00:00:20",
            "--Kafka:Topics:MarketTicks:Config:retention.ms",
            "10000",
            // Twice the ticks' retention: the third worker, started 14 s after the second was killed and slow to
            // start on a busy machine, must still find every symbol's checkpoint while its tick offsets are gone.
            "--Kafka:Topics:InferenceState:Config:retention.ms",
            "30000"
        );
        await broker.WaitUntilReadyAsync(StartTimeout);
        var bootstrap = broker.Banner["kafka.bootstrap"];
        var registryUrl = broker.Banner["schema.registry"];
        string[] workerArgs =
        [
            "--urls",
            "http://127.0.0.1:0",
            "--Kafka:BootstrapServers",
            bootstrap,
            "--SchemaRegistry:Url",
            registryUrl,
            "--State:RefreshInterval",
            "00:00:03",
        ];
        using var decisions = new TopicWatch<TradingDecision>(
            bootstrap,
            registryUrl,
            "trading-decisions",
            d => (d.symbol, TopicWatch<TradingDecision>.Ms(d.bar_end))
        );

        var first = WorkerProcess.Start(workerArgs);
        await using (first)
        {
            await first.WaitUntilReadyAsync(StartTimeout);
            await WaitForAsync(
                () => Symbols.All(s => decisions.Values.Any(d => d.symbol == s)),
                TimeSpan.FromSeconds(60),
                "a decision for every symbol"
            );
            // Retention has removed the oldest checkpoints of every state partition in use.
            await WaitForAsync(
                () => StateLogStarts(bootstrap) is { Count: > 0 } starts && starts.All(s => s > 0),
                TimeSpan.FromSeconds(90),
                "retention to truncate inference-state"
            );
            await first.KillAsync();
        }

        // SIGKILL, then the same worker again at once: a static member gets its partitions back
        // without waiting out its old session.
        var killedAt = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        var second = WorkerProcess.Start(workerArgs);
        await using (second)
        {
            await WaitForAsync(
                () => ProducedSince(decisions, killedAt) > 0,
                SessionTimeout,
                "a decision from the restarted worker"
            );
            var backIn = clock.Elapsed;
            output.WriteLine($"killed worker restarted: first decision {backIn.TotalSeconds:F1} s after the kill");
            Assert.True(
                backIn < SessionTimeout / 2,
                $"The restarted worker took {backIn.TotalSeconds:F1} s to decide: it waited for the group."
            );
            await WaitForAsync(
                () => Symbols.All(s => ProducedSince(decisions, killedAt, s) > 0),
                TimeSpan.FromSeconds(30),
                "a decision for every symbol after the restart"
            );

            // The killed member may still hold half the partitions until its session runs out (the embedded
            // broker ignores group.instance.id): what counts is the assignment that finally holds all of them.
            await WaitForAsync(
                () => AssignedPartitions(second.Output) == 12,
                SessionTimeout,
                "the restarted worker to hold every partition"
            );
            var log = second.Output;
            output.WriteLine(string.Join('\n', log.Split('\n').Where(IsAssignmentOrRestore)));
            Assert.Equal(Symbols.Length, RestoreLog.SymbolsFirstRestored(log, "inference-state"));
            Assert.Contains("the records before it were removed by the broker", log, StringComparison.Ordinal);
            Assert.DoesNotContain("span only", log, StringComparison.Ordinal);
            await second.KillAsync();
        }

        // Away longer than market-ticks keeps its records: the offsets to resume from are gone.
        await Task.Delay(TimeSpan.FromSeconds(14));
        var third = WorkerProcess.Start(workerArgs);
        await using (third)
        {
            await third.WaitUntilReadyAsync(StartTimeout);
            await WaitForAsync(
                () => third.Output.Contains("reading resumed at offset", StringComparison.Ordinal),
                TimeSpan.FromSeconds(30),
                "the offset reset to be reported"
            );
            using var http = new HttpClient { BaseAddress = new Uri(third.Banner["api"]) };
            var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
            var resets = OffsetResets()
                .Matches(metrics)
                .Sum(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
            output.WriteLine($"offset resets counted: {resets}");
            Assert.True(resets >= 1, "inference_offset_resets_total did not count the reset.");
            // Logged from librdkafka's thread, so it may reach the output after the ingest thread's line above.
            Assert.Contains(
                "the broker no longer has offset",
                await third.OutputOnceAsync(
                    o => o.Contains("the broker no longer has offset", StringComparison.Ordinal),
                    TimeSpan.FromSeconds(10)
                ),
                StringComparison.Ordinal
            );
            // The changelog keeps longer than the ticks: every symbol's state is still there.
            await WaitForAsync(
                () => AssignedPartitions(third.Output) == 12,
                SessionTimeout,
                "the third worker to hold every partition"
            );
            Assert.Equal(Symbols.Length, RestoreLog.SymbolsFirstRestored(third.Output, "inference-state"));
            await third.TerminateAsync(TimeSpan.FromSeconds(15));
        }
    }

    [Fact]
    public async Task AGracefulStopHandsItsPartitionsToTheOtherWorkerAtOnce()
    {
        await using var broker = WorkerProcess.Start("broker", "--urls", "http://127.0.0.1:0", "--demo-feed", "true");
        await broker.WaitUntilReadyAsync(StartTimeout);
        string[] workerArgs =
        [
            "--urls",
            "http://127.0.0.1:0",
            "--Kafka:BootstrapServers",
            broker.Banner["kafka.bootstrap"],
            "--SchemaRegistry:Url",
            broker.Banner["schema.registry"],
        ];

        await using var stays = WorkerProcess.Start(workerArgs);
        await stays.WaitUntilReadyAsync(StartTimeout);
        await WaitForAsync(
            () => AssignedPartitions(stays.Output) == 12,
            TimeSpan.FromSeconds(30),
            "the first worker to own every partition"
        );
        await using var leaves = WorkerProcess.Start(workerArgs);
        await leaves.WaitUntilReadyAsync(StartTimeout);
        await WaitForAsync(
            () => AssignedPartitions(leaves.Output) > 0 && AssignedPartitions(stays.Output) < 12,
            TimeSpan.FromSeconds(60),
            "the partitions to be shared"
        );
        Assert.NotEqual(InstanceId(stays.Output), InstanceId(leaves.Output));

        var clock = Stopwatch.StartNew();
        await leaves.TerminateAsync(TimeSpan.FromSeconds(20));
        await WaitForAsync(
            () => AssignedPartitions(stays.Output) == 12,
            SessionTimeout,
            "the remaining worker to take every partition"
        );
        output.WriteLine($"partitions handed over {clock.Elapsed.TotalSeconds:F1} s after SIGTERM");
        Assert.True(
            clock.Elapsed < SessionTimeout / 2,
            $"Handing over took {clock.Elapsed.TotalSeconds:F1} s: the stopped worker did not leave the group."
        );
    }

    private static List<long> StateLogStarts(string bootstrap)
    {
        using var reader = new ConsumerBuilder<Ignore, Ignore>(
            new ConsumerConfig { BootstrapServers = bootstrap, GroupId = "restart-test-reader" }
        ).Build();
        var starts = new List<long>();
        for (var partition = 0; partition < 6; partition++)
        {
            var watermarks = reader.QueryWatermarkOffsets(
                new TopicPartition("inference-state", partition),
                TimeSpan.FromSeconds(5)
            );
            if (watermarks.High.Value > 0)
            {
                starts.Add(watermarks.Low.Value);
            }
        }

        return starts;
    }

    private static bool IsAssignmentOrRestore(string line) =>
        line.Contains("inference-state", StringComparison.Ordinal)
        || line.Contains("Partitions ", StringComparison.Ordinal);

    /// <summary>Partitions the worker holds now, from its assignment and revocation log lines.</summary>
    private static int AssignedPartitions(string log)
    {
        var held = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in log.Split('\n'))
        {
            var revoked =
                line.Contains("Partitions revoked:", StringComparison.Ordinal)
                || line.Contains("Partitions lost:", StringComparison.Ordinal);
            if (!revoked && !line.Contains("Partitions assigned:", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (Match partition in PartitionName().Matches(line))
            {
                if (revoked)
                {
                    held.Remove(partition.Value);
                }
                else
                {
                    held.Add(partition.Value);
                }
            }
        }

        return held.Count;
    }

    private static string InstanceId(string log) =>
        InstanceLine().Match(log) is { Success: true } match ? match.Groups[1].Value : "";

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"Waited {timeout.TotalSeconds:F0} s for {what}.");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Decisions produced (by wall clock) since <paramref name="since"/>, of one symbol or all.</summary>
    private static int ProducedSince(TopicWatch<TradingDecision> decisions, DateTime since, string? symbol = null) =>
        decisions.Values.Count(d => d.produced_at >= since && (symbol is null || d.symbol == symbol));

    [GeneratedRegex(@"(?:market-ticks|regime-updates) ?\[\[?\d+\]?\]")]
    private static partial Regex PartitionName();

    [GeneratedRegex(@"static member ([^\s,]+)")]
    private static partial Regex InstanceLine();

    [GeneratedRegex(@"inference_offset_resets_total\{[^}]*topic=""market-ticks""[^}]*\} (\d+(?:\.\d+)?)")]
    private static partial Regex OffsetResets();
}
