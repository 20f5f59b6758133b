using System.Net.Http.Json;
using System.Text.Json;
using Avro.IO;
using Avro.Specific;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Worker.Experiments;
using Inference.Streaming.Worker.IntegrationTests.Forensics;
using Inference.Streaming.Worker.IntegrationTests.Hosting;
using Inference.Streaming.Worker.IntegrationTests.Kafka;
using Inference.Streaming.Worker.IntegrationTests.State;
using Xunit.Abstractions;

namespace Inference.Streaming.Worker.IntegrationTests.Experiments;

/// <summary>
/// Champion and challenger through the worker process on the embedded broker: the PyTorch fixtures are the
/// champion and the shipped models the challenger (the two decide differently: the fixtures never buy).
/// </summary>
[Collection(KafkaClusterGroup.Name)]
public sealed class ExperimentTests(KafkaFixture kafka, ITestOutputHelper output)
{
    private readonly StreamHarness _harness = new(kafka);

    private static string[] Experiment(string mode, string id) =>
        [
            "--Experiments:Mode",
            mode,
            "--Experiments:Id",
            id,
            "--Models:Challenger:Directory",
            StreamHarness.TrainedModels,
        ];

    /// <summary>The harness's market on new topics, and a run of the worker over it without an experiment: what an
    /// experiment's run over the same market is compared with.</summary>
    private async Task<(string Ticks, string Regimes, List<TradingDecision> Alone)> MarketDecidedAloneAsync(string name)
    {
        var ticks = await kafka.CreateTopicAsync($"{name}-ticks", 3);
        var regimes = await kafka.CreateTopicAsync($"{name}-regimes", 3);
        await _harness.ProduceAsync(ticks, regimes, TimeSpan.FromSeconds(2));
        var plain = await _harness.Topics($"{name}-plain");
        await using (await _harness.StartAsync(ticks, regimes, plain))
        {
            return (ticks, regimes, await _harness.ReadAsync(plain, StreamHarness.ExpectedDecisions));
        }
    }

    [SkippableFact]
    public async Task AShadowRunLeavesTheChampionsDecisionsByteIdenticalAndTradesTheChallengerOnPaperBesideIt()
    {
        Skip.If(kafka.Unavailable is not null, kafka.Unavailable);
        var (ticks, regimes, alone) = await MarketDecidedAloneAsync("shadow");
        var expected = StreamHarness.ExpectedDecisions;
        var shadow = await _harness.Topics("shadow");
        await _harness.CreateShadowTopicAsync(shadow);
        await using var worker = await _harness.StartAsync(
            ticks,
            regimes,
            shadow,
            "00:00:00.250",
            Experiment("Shadow", "shadow-1")
        );
        var live = await _harness.ReadAsync(shadow, expected);
        var challenger = await _harness.ReadAsync(shadow, expected, shadow: true);

        // The champion's decisions: the same records, byte for byte, once the wall-clock fields are set aside.
        var reference = alone.ToDictionary(d => d.decision_id, Bytes);
        Assert.Equal(expected, reference.Count);
        Assert.Equal(reference.Keys.Order(), live.Select(d => d.decision_id).Distinct().Order());
        Assert.All(live, d => Assert.Equal(reference[d.decision_id], Bytes(d)));
        Assert.All(live, d => Assert.Null(d.experiment));

        // The challenger decided every bar the champion did, with its own models, and only on the shadow topic.
        Assert.Equal(expected, challenger.Select(d => d.decision_id).Distinct().Count());
        Assert.Equal(
            live.Select(d => (d.symbol, d.bar_end)).Distinct().Order(),
            challenger.Select(d => (d.symbol, d.bar_end)).Distinct().Order()
        );
        Assert.All(
            challenger,
            d =>
            {
                Assert.Equal(
                    ("shadow-1", ExperimentArms.Challenger, "shadow"),
                    (d.experiment.id, d.experiment.arm, d.experiment.mode)
                );
                Assert.NotEqual(live[0].model_version, d.model_version);
            }
        );
        Assert.Empty(live.Select(d => d.decision_id).Intersect(challenger.Select(d => d.decision_id)));

        // Its paper portfolio is its own: where it traded, its risk inputs part from the champion's.
        var forensics = await _harness.ReadAllAsync<DecisionForensics>(shadow.Forensics);
        var byArm = forensics.ToLookup(f => f.decision.experiment?.arm ?? ExperimentArms.Champion);
        Assert.Equal(expected, byArm[ExperimentArms.Champion].Select(f => f.decision.decision_id).Distinct().Count());
        Assert.Equal(expected, byArm[ExperimentArms.Challenger].Select(f => f.decision.decision_id).Distinct().Count());
        var championInputs = byArm[ExperimentArms.Champion]
            .GroupBy(f => (f.decision.symbol, f.decision.bar_end))
            .ToDictionary(g => g.Key, g => g.First().risk_inputs);
        var parted = byArm[ExperimentArms.Challenger]
            .Count(f =>
                championInputs[(f.decision.symbol, f.decision.bar_end)] is var c
                && (c.cash != f.risk_inputs.cash || c.shares != f.risk_inputs.shares)
            );
        var buys = challenger.Count(d => d.action == TradeAction.BUY);
        output.WriteLine(
            $"{expected} bars; challenger bought {buys} times, its portfolio differs from the champion's on {parted}"
        );
        Assert.InRange(buys, 1, expected);
        Assert.InRange(parted, 1, expected);

        // The report reads the run's forensics: both arms, the agreement the decisions show, a chart.
        var scratch = Directory.CreateTempSubdirectory("experiment-").FullName;
        try
        {
            var source = new[]
            {
                "--bootstrap",
                kafka.BootstrapServers,
                "--registry",
                kafka.SchemaRegistryUrl,
                "--topic",
                shadow.Forensics,
            };
            var (code, text) = await ForensicsCli.InvokeAsync([
                "experiment-report",
                .. source,
                "--output",
                Path.Combine(scratch, "report.json"),
                "--chart",
                Path.Combine(scratch, "report.png"),
            ]);
            output.WriteLine(text);
            Assert.Equal(0, code);
            var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(scratch, "report.json"))).RootElement;
            Assert.Equal("shadow-1", report.GetProperty("experiment").GetString());
            Assert.Equal("shadow", report.GetProperty("mode").GetString());
            var armsReported = report
                .GetProperty("arms")
                .EnumerateArray()
                .ToDictionary(a => a.GetProperty("arm").GetString()!);
            Assert.Equal(expected, armsReported["champion"].GetProperty("decisions").GetInt32());
            Assert.Equal(expected, armsReported["challenger"].GetProperty("decisions").GetInt32());
            var liveActions = live.GroupBy(d => (d.symbol, d.bar_end)).ToDictionary(g => g.Key, g => g.First().action);
            var agreed = challenger
                .GroupBy(d => (d.symbol, d.bar_end))
                .Count(g => liveActions[g.Key] == g.First().action);
            Assert.Equal((double)agreed / expected, report.GetProperty("agreement").GetDouble(), 12);
            Assert.True(report.GetProperty("comparison").GetProperty("pairs").GetInt32() > 0);
            var png = File.ReadAllBytes(Path.Combine(scratch, "report.png"));
            Assert.Equal([0x89, 0x50, 0x4E, 0x47], png[..4]);

            // Replay reproduces each arm: with the challenger's models beside the champion's, every record is
            // re-run by the set that made it, identically.
            var summary = await ReplayBothArmsAsync(shadow.Forensics);
            Assert.Equal(2 * expected, summary["identical"]!.GetValue<long>());
            Assert.Equal(summary["read"]!.GetValue<long>(), summary["identical"]!.GetValue<long>());
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }

        // Agreement and both arms' paper P&L are exported.
        using var http = new HttpClient { BaseAddress = new Uri(worker.Banner["api"]) };
        var metrics = (await http.GetStringAsync(new Uri("/metrics", UriKind.Relative))).Split('\n');
        var agreement = metrics.Where(l =>
            l.StartsWith("inference_experiment_agreement_ratio{", StringComparison.Ordinal)
        );
        var pnl = metrics
            .Where(l => l.StartsWith("inference_experiment_paper_pnl_total{", StringComparison.Ordinal))
            .ToList();
        output.WriteLine(string.Join('\n', agreement.Concat(pnl)));
        Assert.Single(agreement);
        Assert.Contains(pnl, l => l.Contains("arm=\"challenger\"", StringComparison.Ordinal));
        Assert.Contains(pnl, l => l.Contains("arm=\"champion\"", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task AShadowChallengerThatServesNothingCostsTheLiveDecisionsNothing()
    {
        Skip.If(kafka.Unavailable is not null, kafka.Unavailable);
        var (ticks, regimes, alone) = await MarketDecidedAloneAsync("broken");
        var expected = StreamHarness.ExpectedDecisions;
        var empty = Directory.CreateTempSubdirectory("no-models-").FullName;
        try
        {
            var run = await _harness.Topics("broken");
            await _harness.CreateShadowTopicAsync(run);
            await using var worker = await _harness.StartAsync(
                ticks,
                regimes,
                run,
                "00:00:00.250",
                "--Experiments:Mode",
                "Shadow",
                "--Experiments:Id",
                "broken",
                "--Models:Challenger:Directory",
                empty
            );
            var live = await _harness.ReadAsync(run, expected);
            using var http = new HttpClient { BaseAddress = new Uri(worker.Banner["api"]) };
            await Eventually.CounterReachesAsync(
                http,
                "inference_experiment_shadow_failures_total",
                expected,
                TimeSpan.FromSeconds(30)
            );
            var models = await http.GetFromJsonAsync<JsonElement>(new Uri("/api/v1/models", UriKind.Relative));

            var reference = alone.ToDictionary(d => d.decision_id, StreamHarness.Content);
            Assert.Equal(reference.Keys.Order(), live.Select(d => d.decision_id).Distinct().Order());
            Assert.All(live, d => Assert.Equal(reference[d.decision_id], StreamHarness.Content(d)));
            Assert.Empty(await _harness.ReadAllAsync<TradingDecision>(StreamHarness.ShadowTopic(run)));
            Assert.Equal(0, models.GetProperty("challenger").GetProperty("total_models").GetInt32());
            Assert.Equal(4, models.GetProperty("challenger").GetProperty("errors").GetArrayLength());
            // Nothing to promote: the live set stays.
            using var promote = await http.PostAsync(new Uri("/api/v1/models/promote", UriKind.Relative), null);
            Assert.Equal(System.Net.HttpStatusCode.Conflict, promote.StatusCode);
            Assert.Contains("serves no model", await promote.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }

    [SkippableFact]
    public async Task AnAbRunSplitsSymbolsByTheStickyHashMarksEveryDecisionAndPredictFollowsTheArm()
    {
        Skip.If(kafka.Unavailable is not null, kafka.Unavailable);
        var expected = StreamHarness.ExpectedDecisions;
        const string Id = "ab-split";
        var arms = StreamHarness.Symbols.ToDictionary(
            s => s,
            s => ExperimentArms.Fraction(Id, s) < 0.5 ? ExperimentArms.Challenger : ExperimentArms.Champion
        );
        output.WriteLine(string.Join(", ", arms.Select(a => $"{a.Key}: {a.Value}")));
        // The id was chosen so that both arms have symbols.
        Assert.Equal(2, arms.Values.Distinct().Count());

        var (ticks, regimes, alone) = await MarketDecidedAloneAsync("ab");
        var run = await _harness.Topics("ab");
        await using var worker = await _harness.StartAsync(ticks, regimes, run, "00:00:00.250", Experiment("AB", Id));
        var decisions = await _harness.ReadAsync(run, expected);

        var championSet = alone[0].model_version;
        Assert.Equal(expected, decisions.Select(d => d.decision_id).Distinct().Count());
        var reference = alone.ToDictionary(d => (d.symbol, d.bar_end), StreamHarness.Content);
        Assert.All(
            decisions,
            d =>
            {
                Assert.Equal((Id, arms[d.symbol], "ab"), (d.experiment.id, d.experiment.arm, d.experiment.mode));
                if (arms[d.symbol] == ExperimentArms.Champion)
                {
                    // The champion's symbols decide as without the experiment, but for the mark.
                    Assert.Equal(championSet, d.model_version);
                    d.experiment = null;
                    Assert.Equal(reference[(d.symbol, d.bar_end)], StreamHarness.Content(d));
                }
                else
                {
                    Assert.NotEqual(championSet, d.model_version);
                }
            }
        );

        // Replay reproduces each arm, each record by the set that made it.
        var summary = await ReplayBothArmsAsync(run.Forensics);
        Assert.Equal(expected, summary["identical"]!.GetValue<long>());
        Assert.Equal(summary["read"]!.GetValue<long>(), summary["identical"]!.GetValue<long>());

        using var http = new HttpClient { BaseAddress = new Uri(worker.Banner["api"]) };
        foreach (var (symbol, arm) in arms)
        {
            var body = await PredictAsync(http, new { symbol, risk_check = false });
            Assert.Equal(Id, body.GetProperty("metadata").GetProperty("ab_test").GetProperty("experiment").GetString());
            Assert.Equal(arm, body.GetProperty("metadata").GetProperty("ab_test").GetProperty("arm").GetString());
        }

        // The API is open here, so the caller may choose the arm: the other set answers.
        var challengerSymbol = arms.First(a => a.Value == ExperimentArms.Challenger).Key;
        var asChampion = await PredictAsync(
            http,
            new
            {
                symbol = challengerSymbol,
                arm = "champion",
                risk_check = false,
            }
        );
        Assert.Equal(
            "champion",
            asChampion.GetProperty("metadata").GetProperty("ab_test").GetProperty("arm").GetString()
        );
        Assert.Equal(championSet, asChampion.GetProperty("metadata").GetProperty("model_set").GetString());

        var models = await http.GetFromJsonAsync<JsonElement>(new Uri("/api/v1/models", UriKind.Relative));
        Assert.Equal("champion", models.GetProperty("role").GetString());
        Assert.Equal("challenger", models.GetProperty("challenger").GetProperty("role").GetString());
        Assert.Equal(4, models.GetProperty("challenger").GetProperty("total_models").GetInt32());
        Assert.Equal("ab", models.GetProperty("experiment").GetProperty("mode").GetString());
        Assert.Equal(0.5, models.GetProperty("experiment").GetProperty("challenger_share").GetDouble());
    }

    [SkippableFact]
    public async Task PromotionSwapsTheSetsBetweenTwoBarsAndTheSameCallRollsBack()
    {
        Skip.If(kafka.Unavailable is not null, kafka.Unavailable);
        var ticks = await kafka.CreateTopicAsync("promote-ticks", 3);
        var regimes = await kafka.CreateTopicAsync("promote-regimes", 3);
        var run = await _harness.Topics("promote");
        var expected = StreamHarness.ExpectedDecisions;
        await using var worker = await _harness.StartAsync(
            ticks,
            regimes,
            run,
            "00:00:00.250",
            "--Models:Challenger:Directory",
            StreamHarness.TrainedModels
        );
        using var http = new HttpClient { BaseAddress = new Uri(worker.Banner["api"]) };

        // The feed holds before round 750 until every bar it has closed (74 per symbol) is decided, and the promotion
        // comes then: however slow the machine, the switch falls between bar 73 and bar 74 of every symbol.
        const int HoldRound = 750;
        var barsBefore = StreamHarness.BarsClosedBefore(HoldRound);
        JsonElement before = default;
        JsonElement after = default;
        HttpResponseMessage? promoted = null;
        await _harness.ProduceAsync(
            ticks,
            regimes,
            TimeSpan.FromSeconds(20),
            async (round, _) =>
            {
                if (round != HoldRound)
                {
                    return;
                }

                await Eventually.CounterReachesAsync(
                    http,
                    "inference_decisions_total",
                    StreamHarness.Symbols.Length * barsBefore,
                    TimeSpan.FromSeconds(120)
                );
                before = await http.GetFromJsonAsync<JsonElement>(new Uri("/api/v1/models", UriKind.Relative));
                promoted = await http.PostAsync(new Uri("/api/v1/models/promote", UriKind.Relative), null);
                after = await promoted.Content.ReadFromJsonAsync<JsonElement>();
            }
        );
        var decisions = await _harness.ReadAsync(run, expected);

        Assert.NotNull(promoted);
        using var _ = promoted;
        Assert.Equal(System.Net.HttpStatusCode.OK, promoted.StatusCode);
        Assert.Equal(1, after.GetProperty("promotions").GetInt32());
        Assert.Equal(
            before.GetProperty("challenger").GetProperty("directory").GetString(),
            after.GetProperty("directory").GetString()
        );
        Assert.Equal(
            before.GetProperty("directory").GetString(),
            after.GetProperty("challenger").GetProperty("directory").GetString()
        );
        Assert.Contains(
            "Models promoted (promotion 1)",
            await worker.OutputOnceAsync(
                o => o.Contains("Models promoted (promotion 1)", StringComparison.Ordinal),
                TimeSpan.FromSeconds(10)
            ),
            StringComparison.Ordinal
        );
        await Eventually.CounterReachesAsync(http, "inference_model_promotions_total", 1, TimeSpan.FromSeconds(10));

        // Each symbol's decisions switch set once, from the old champion's to the new one's, at the bar the feed held.
        var sets = decisions.Select(d => d.model_version).Distinct().ToList();
        Assert.Equal(2, sets.Count);
        foreach (var symbol in decisions.GroupBy(d => d.symbol))
        {
            var order = symbol.OrderBy(d => d.bar_end).Select(d => d.model_version).ToList();
            Assert.Equal(Enumerable.Repeat(sets[0], barsBefore), order.Take(barsBefore));
            Assert.All(order.Skip(barsBefore), set => Assert.Equal(sets[1], set));
        }

        output.WriteLine(
            $"{decisions.Count} decisions: {decisions.Count(d => d.model_version == sets[0])} by {sets[0]}, "
                + $"{decisions.Count(d => d.model_version == sets[1])} by {sets[1]} after the promotion"
        );

        // The same call rolls back.
        using var rolledBack = await http.PostAsync(new Uri("/api/v1/models/promote", UriKind.Relative), null);
        var back = await rolledBack.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(2, back.GetProperty("promotions").GetInt32());
        Assert.Equal(before.GetProperty("directory").GetString(), back.GetProperty("directory").GetString());
    }

    /// <summary><c>replay</c> of a run's forensics topic with the champion's and the challenger's models; its
    /// summary.</summary>
    private async Task<System.Text.Json.Nodes.JsonNode> ReplayBothArmsAsync(string forensicsTopic)
    {
        var scratch = Directory.CreateTempSubdirectory("experiment-replay-").FullName;
        try
        {
            var (code, text) = await ForensicsCli.InvokeAsync(
                "replay",
                "--bootstrap",
                kafka.BootstrapServers,
                "--registry",
                kafka.SchemaRegistryUrl,
                "--topic",
                forensicsTopic,
                "--Features:BarInterval",
                "00:00:10",
                "--Models:Directory",
                TestPaths.PyTorchFixtures,
                "--Models:Challenger:Directory",
                StreamHarness.TrainedModels,
                "--output",
                Path.Combine(scratch, "replay.jsonl"),
                "--Inference:Device",
                "cpu"
            );
            output.WriteLine(text);
            Assert.Equal(0, code);
            return System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllLines(Path.Combine(scratch, "replay.jsonl"))[^1])![
                "summary"
            ]!;
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static async Task<JsonElement> PredictAsync(HttpClient http, object body)
    {
        using var response = await http.PostAsJsonAsync(new Uri("/api/v1/predict", UriKind.Relative), body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"predict {JsonSerializer.Serialize(body)}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>The decision's Avro encoding with its wall-clock fields (produced_at, latency_ms) set aside.</summary>
    private static byte[] Bytes(TradingDecision decision)
    {
        var (producedAt, latency) = (decision.produced_at, decision.latency_ms);
        (decision.produced_at, decision.latency_ms) = (default, 0);
        using var stream = new MemoryStream();
        new SpecificDatumWriter<TradingDecision>(TradingDecision._SCHEMA).Write(decision, new BinaryEncoder(stream));
        (decision.produced_at, decision.latency_ms) = (producedAt, latency);
        return stream.ToArray();
    }
}
