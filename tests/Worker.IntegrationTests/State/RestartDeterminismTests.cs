using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Worker.IntegrationTests.Hosting;
using Inference.Streaming.Worker.IntegrationTests.Kafka;
using Xunit.Abstractions;

namespace Inference.Streaming.Worker.IntegrationTests.State;

/// <summary>
/// The worker SIGKILLed at random points while ticks flow, and restarted each time: no decision is
/// missing, duplicates are identical, and the decisions equal an uninterrupted run's.
/// </summary>
public abstract class RestartScenarios(KafkaFixture kafka, ITestOutputHelper output)
{
    private readonly StreamHarness _harness = new(kafka);

    private const string Checkpoints = "00:00:00.250";

    /// <summary>Settings of the experiment the scenarios run under, with <paramref name="challenger"/> as the
    /// challenger's models; none by default.</summary>
    protected virtual string[] Experiment(string challenger) => [];

    /// <summary>The experiment is a shadow one: its decisions are compared as the live ones are.</summary>
    protected virtual bool Shadow => false;

    private async Task CreateShadowTopicsAsync(
        params (string Decisions, string Forensics, string State, string DeadLetters, string Group)[] runs
    )
    {
        foreach (var run in runs.Where(_ => Shadow))
        {
            await _harness.CreateShadowTopicAsync(run);
        }
    }

    /// <summary>In a shadow experiment, the shadow decisions of <paramref name="run"/> equal
    /// <paramref name="reference"/>'s: each bar once (or repeated identically) and the same.</summary>
    private async Task AssertSameShadowDecisionsAsync(
        (string Decisions, string Forensics, string State, string DeadLetters, string Group) run,
        (string Decisions, string Forensics, string State, string DeadLetters, string Group) reference,
        int expected
    )
    {
        if (!Shadow)
        {
            return;
        }

        var shadow = await _harness.ReadAsync(run, expected, shadow: true);
        var referenceShadow = (await _harness.ReadAsync(reference, expected, shadow: true)).ToDictionary(
            d => d.decision_id,
            StreamHarness.Content
        );
        output.WriteLine($"shadow decisions: {shadow.Count} records, {referenceShadow.Count} in the reference");
        Assert.Equal(expected, referenceShadow.Count);
        Assert.Equal(referenceShadow.Keys.Order(), shadow.Select(d => d.decision_id).Distinct().Order());
        Assert.All(shadow, d => Assert.Equal(referenceShadow[d.decision_id], StreamHarness.Content(d)));
        Assert.All(shadow, d => Assert.Equal("shadow", d.experiment.mode));
    }

    // The sector book (Risk:Sectors) is on: it is state across symbols, and must survive every kill too.
    [SkippableFact]
    public async Task KillingTheWorkerFiveTimesLosesNoDecisionAndChangesNone()
    {
        Skip.If(kafka.Unavailable is not null, kafka.Unavailable);
        var ticks = await kafka.CreateTopicAsync("kill-ticks", 3);
        var regimes = await kafka.CreateTopicAsync("kill-regimes", 3);
        var killed = await _harness.Topics("killed");
        var reference = await _harness.Topics("reference");
        await CreateShadowTopicsAsync(killed, reference);
        var expected = StreamHarness.ExpectedDecisions;
        string[] settings = [.. StreamHarness.SectorBook, .. Experiment(TestPaths.PyTorchFixtures)];

        // Ticks flow for ~25 s while the worker is killed and restarted.
        var feed = Task.Run(() => _harness.ProduceAsync(ticks, regimes, TimeSpan.FromSeconds(25)));
        var random = new Random(11);
        var kills = 0;
        WorkerProcess? worker = null;
        try
        {
            worker = await _harness.StartAsync(ticks, regimes, killed, Checkpoints, settings);
            while (kills < 5)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(random.Next(1500, 4000)));
                await worker.KillAsync();
                await worker.DisposeAsync();
                kills++;
                worker = await _harness.StartAsync(ticks, regimes, killed, Checkpoints, settings);
            }

            await feed;
            var firstRun = await _harness.ReadAsync(killed, expected);
            output.WriteLine($"killed run: {kills} kills, {firstRun.Count} decision records for {expected} bars");

            await using var uninterrupted = await _harness.StartAsync(ticks, regimes, reference, Checkpoints, settings);
            var secondRun = await _harness.ReadAsync(reference, expected);

            var byId = firstRun.GroupBy(d => d.decision_id).ToDictionary(g => g.Key, g => g.ToList());
            Assert.Equal(expected, secondRun.Select(d => d.decision_id).Distinct().Count());
            Assert.Equal(secondRun.Select(d => d.decision_id).Order(), byId.Keys.Order());
            foreach (var copies in byId.Values)
            {
                Assert.Single(copies.Select(StreamHarness.Content).Distinct());
            }

            var referenceContent = secondRun.ToDictionary(d => d.decision_id, StreamHarness.Content);
            Assert.All(byId, pair => Assert.Equal(referenceContent[pair.Key], StreamHarness.Content(pair.Value[0])));
            // The sector book took part: some concentration checks warned or failed.
            var concentrated = secondRun.Count(d => d.risk.checks.concentration != RiskCheckStatus.PASS);
            output.WriteLine(
                $"decisions whose sector concentration warned or failed: {concentrated} of {secondRun.Count}"
            );
            Assert.InRange(concentrated, 1, secondRun.Count - 1);
            await AssertSameShadowDecisionsAsync(killed, reference, expected);
        }
        finally
        {
            if (worker is not null)
            {
                await worker.DisposeAsync();
            }
        }
    }

    [SkippableFact]
    public async Task TwoWorkersJoiningAndLeavingDecideExactlyWhatOneWouldHave()
    {
        Skip.If(kafka.Unavailable is not null, kafka.Unavailable);
        var ticks = await kafka.CreateTopicAsync("rebalance-ticks", 3);
        var regimes = await kafka.CreateTopicAsync("rebalance-regimes", 3);
        var shared = await _harness.Topics("shared");
        var reference = await _harness.Topics("single");
        await CreateShadowTopicsAsync(shared, reference);
        var expected = StreamHarness.ExpectedDecisions;
        var settings = Experiment(StreamHarness.TrainedModels);

        var feed = Task.Run(() => _harness.ProduceAsync(ticks, regimes, TimeSpan.FromSeconds(20)));
        await using var first = await _harness.StartAsync(ticks, regimes, shared, Checkpoints, settings);
        using (var http = new HttpClient { BaseAddress = new Uri(first.Banner["api"]) })
        {
            // The first worker decides alone for a while before the second joins.
            await Eventually.CounterReachesAsync(http, "inference_decisions_total", 1, TimeSpan.FromSeconds(60));
        }

        await using var second = await _harness.StartAsync(ticks, regimes, shared, Checkpoints, settings);
        // The group has rebalanced onto both before the first leaves.
        await Eventually.HoldsAsync(
            () => second.Output.Contains("Partitions assigned", StringComparison.Ordinal),
            TimeSpan.FromSeconds(60),
            "the second worker is assigned partitions"
        );
        var stopping = await first.TerminateAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(0, first.ExitCode);
        await feed;
        var union = await _harness.ReadAsync(shared, expected);

        await using var single = await _harness.StartAsync(ticks, regimes, reference, Checkpoints, settings);
        var alone = await _harness.ReadAsync(reference, expected);

        output.WriteLine(
            $"first worker stopped in {stopping.TotalMilliseconds:F0} ms; {union.Count} records from two workers"
        );
        Assert.Contains("Partitions revoked", first.Output, StringComparison.Ordinal);
        Assert.Contains("Partitions assigned", second.Output, StringComparison.Ordinal);
        var referenceContent = alone.ToDictionary(d => d.decision_id, StreamHarness.Content);
        Assert.Equal(expected, referenceContent.Count);
        Assert.Equal(referenceContent.Keys.Order(), union.Select(d => d.decision_id).Distinct().Order());
        Assert.All(union, d => Assert.Equal(referenceContent[d.decision_id], StreamHarness.Content(d)));
        await AssertSameShadowDecisionsAsync(shared, reference, expected);
    }

    [SkippableFact]
    public async Task AGracefulStopCheckpointsSoARestartRepeatsNothing()
    {
        Skip.If(kafka.Unavailable is not null, kafka.Unavailable);
        var ticks = await kafka.CreateTopicAsync("graceful-ticks", 3);
        var regimes = await kafka.CreateTopicAsync("graceful-regimes", 3);
        var run = await _harness.Topics("graceful");
        var expected = StreamHarness.ExpectedDecisions;
        await _harness.ProduceAsync(ticks, regimes, TimeSpan.FromSeconds(1));

        // No periodic checkpoint in this run: only the one taken on SIGTERM can spare the restart a replay.
        await using (var worker = await _harness.StartAsync(ticks, regimes, run, checkpointInterval: "00:10:00"))
        {
            await Task.Delay(TimeSpan.FromSeconds(3));
            var stopping = await worker.TerminateAsync(TimeSpan.FromSeconds(15));
            Assert.Equal(0, worker.ExitCode);
            Assert.True(stopping < TimeSpan.FromSeconds(10), $"SIGTERM took {stopping}");
        }

        await using var restarted = await _harness.StartAsync(ticks, regimes, run);
        var decisions = await _harness.ReadAsync(run, expected);

        Assert.Equal(expected, decisions.Count);
        Assert.Equal(expected, decisions.Select(d => d.decision_id).Distinct().Count());
    }

    [SkippableFact]
    public async Task InExactlyOnceModeAKilledWorkerPublishesEachCommittedDecisionOnce()
    {
        Skip.If(kafka.Unavailable is not null, kafka.Unavailable);
        Skip.If(
            kafka.Mock is not null,
            "exactly-once needs a real cluster (KAFKA_BOOTSTRAP_SERVERS or Testcontainers): the embedded broker does "
                + "not store transactional offsets and shows aborted records to read_committed readers"
        );
        var ticks = await kafka.CreateTopicAsync("eos-ticks", 3);
        var regimes = await kafka.CreateTopicAsync("eos-regimes", 3);
        var run = await _harness.Topics("eos");
        var expected = StreamHarness.ExpectedDecisions;
        string[] eos =
        [
            "--Kafka:Delivery",
            "ExactlyOnce",
            "--Kafka:Producer:transactional.id",
            "eos-" + Guid.NewGuid().ToString("N"),
        ];

        var feed = Task.Run(() => _harness.ProduceAsync(ticks, regimes, TimeSpan.FromSeconds(20)));
        var worker = await _harness.StartAsync(ticks, regimes, run, "00:00:00.250", eos);
        for (var kill = 0; kill < 3; kill++)
        {
            await Task.Delay(TimeSpan.FromSeconds(3));
            await worker.KillAsync();
            await worker.DisposeAsync();
            worker = await _harness.StartAsync(ticks, regimes, run, "00:00:00.250", eos);
        }

        await feed;
        var decisions = await _harness.ReadAsync(run, expected);
        await worker.DisposeAsync();

        Assert.Equal(expected, decisions.Count);
        Assert.Equal(expected, decisions.Select(d => d.decision_id).Distinct().Count());
    }
}

/// <summary>The restart scenarios on the embedded broker (or <c>KAFKA_BOOTSTRAP_SERVERS</c>).</summary>
[Collection(KafkaClusterGroup.Name)]
public sealed class RestartDeterminismTests(KafkaFixture kafka, ITestOutputHelper output)
    : RestartScenarios(kafka, output);

/// <summary>The restart scenarios with a shadow experiment on: the live decisions and the shadow ones (each on its
/// own paper portfolio, kept in the changelog) survive kills and rebalances unchanged.</summary>
[Collection(KafkaClusterGroup.Name)]
public sealed class ShadowExperimentRestartTests(KafkaFixture kafka, ITestOutputHelper output)
    : RestartScenarios(kafka, output)
{
    protected override bool Shadow => true;

    protected override string[] Experiment(string challenger) =>
        [
            "--Experiments:Mode",
            "Shadow",
            "--Experiments:Id",
            "shadow-restarts",
            "--Models:Challenger:Directory",
            challenger,
        ];
}

/// <summary>The restart scenarios with an A/B experiment on: each symbol's arm, and so its decisions, survive kills
/// and rebalances unchanged.</summary>
[Collection(KafkaClusterGroup.Name)]
public sealed class AbExperimentRestartTests(KafkaFixture kafka, ITestOutputHelper output)
    : RestartScenarios(kafka, output)
{
    protected override string[] Experiment(string challenger) =>
        ["--Experiments:Mode", "AB", "--Experiments:Id", "ab-restarts", "--Models:Challenger:Directory", challenger];
}

/// <summary>The restart scenarios, exactly-once included, on Apache Kafka and Schema Registry containers.</summary>
[Collection(ApacheKafkaGroup.Name)]
public sealed class RestartOnApacheKafkaTests(ApacheKafkaFixture kafka, ITestOutputHelper output)
    : RestartScenarios(kafka, output);
