using System.Text;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Decisions;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Engine.Regimes;
using Inference.Streaming.Engine.UnitTests.Features;
using Inference.Streaming.Worker.IntegrationTests.Hosting;
using Inference.Streaming.Worker.IntegrationTests.Kafka;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.IntegrationTests.Pipeline;

/// <summary>
/// The worker process end to end on a real broker: a recorded tick and regime sequence in, decisions
/// and forensics read back by an independent consumer, every field predicted from the inputs.
/// </summary>
public abstract class EndToEndScenarios(KafkaFixture kafka)
{
    private const int Rounds = 400;

    [SkippableFact]
    public async Task RecordedMarketGivesOneCorrectDecisionPerClosedBarIdenticallyOnEveryRun()
    {
        Skip.If(kafka.Unavailable is not null, kafka.Unavailable);
        var market = await RecordedMarket.ProduceAsync(kafka, Rounds, seed: 7);
        var expected = ExpectedBars(market);
        var expectedCount = expected.Values.Sum(b => b.Count);

        var first = await PipelineRun.ExecuteAsync(kafka, market, expectedCount);
        var second = await PipelineRun.ExecuteAsync(kafka, market, expectedCount);

        AssertDecisions(market, expected, first);
        Assert.Equal(Identity(first), Identity(second));
        Assert.Equal(
            first.Forensics.Select(f => string.Join(',', f.features)).Order(),
            second.Forensics.Select(f => string.Join(',', f.features)).Order()
        );
    }

    [SkippableFact]
    public async Task ExactlyOnceModeRunsTheTransactionalCallsAndDecidesTheSame()
    {
        Skip.If(kafka.Unavailable is not null, kafka.Unavailable);
        // The embedded broker accepts the transactional calls but does not store transactional
        // offsets (docs/design.md, Platform facts): this checks the calls and the outputs, not the guarantee.
        var market = await RecordedMarket.ProduceAsync(kafka, Rounds, seed: 8);
        var expected = ExpectedBars(market);
        var expectedCount = expected.Values.Sum(b => b.Count);

        var atLeastOnce = await PipelineRun.ExecuteAsync(kafka, market, expectedCount);
        var exactlyOnce = await PipelineRun.ExecuteAsync(
            kafka,
            market,
            expectedCount,
            "Argmax",
            "--Kafka:Delivery",
            "ExactlyOnce",
            "--Kafka:Producer:transactional.id",
            "e2e-" + Guid.NewGuid().ToString("N")
        );

        AssertDecisions(market, expected, exactlyOnce);
        Assert.Equal(Identity(atLeastOnce), Identity(exactlyOnce));
        Assert.DoesNotContain("fail:", exactlyOnce.Output, StringComparison.Ordinal);
    }

    private static void AssertDecisions(RecordedMarket market, Dictionary<string, List<Bar>> expected, PipelineRun run)
    {
        Assert.Equal(expected.Values.Sum(b => b.Count), run.Decisions.Count);
        Assert.Equal(run.Decisions.Count, run.Decisions.Select(d => d.decision_id).Distinct().Count());
        Assert.Equal(
            run.Decisions.Select(d => d.decision_id).Order(),
            run.Forensics.Select(f => f.decision.decision_id).Order()
        );

        var fingerprint = string.Join(
            ';',
            ModelNames
                .All.Order(StringComparer.Ordinal)
                .Select(n =>
                    n
                    + "="
                    + ModelDirectoryLoader.Sha256Of(
                        Path.Combine(ModelNames.FolderOf(TestPaths.PyTorchFixtures, n), ModelNames.CheckpointFile)
                    )
                )
        );
        using var models = new LoadedFixtures();
        var weights = new MetaControllerWeights();
        foreach (var symbol in RecordedMarket.Symbols)
        {
            var bars = expected[symbol];
            var reference = BatchFeatureReference.Indicators(bars);
            var decisions = run.Decisions.Where(d => d.symbol == symbol).ToList();
            var forensics = run
                .Forensics.Where(f => f.decision.symbol == symbol)
                .ToDictionary(f => f.decision.decision_id);
            var portfolio = new PaperPortfolio();
            Assert.Equal(bars.Count, decisions.Count);
            for (var i = 0; i < bars.Count; i++)
            {
                var decision = decisions[i];
                var bar = bars[i];
                var record = forensics[decision.decision_id];
                var where = $"{symbol} bar {i}";

                // Identity and the bar, in order per symbol.
                Assert.Equal(DecisionIds.For(symbol, bar.EndMs, fingerprint).ToString(), decision.decision_id);
                Assert.Equal(bar.StartMs, new DateTimeOffset(decision.bar_start).ToUnixTimeMilliseconds());
                Assert.Equal(bar.EndMs, new DateTimeOffset(decision.bar_end).ToUnixTimeMilliseconds());
                AvroAssert.Equal(decision, record.decision);

                // Features: portfolio part replayed from the published actions, the rest from the batch reference.
                portfolio.MarkDay(bar.EndMs, bar.Close);
                var raw = new double[3];
                portfolio.Write(raw, bar.Close);
                Assert.Equal(Observation.Width, record.features.Count);
                for (var k = 0; k < Observation.Width; k++)
                {
                    var want = k < 3 ? (float)Observation.Sanitize(raw[k]) : (float)reference[i][k - 3];
                    Assert.True(
                        Math.Abs(record.features[k] - want) <= 1e-6f * Math.Max(1f, Math.Abs(want)),
                        $"{where}: feature {k} is {record.features[k]}, expected {want}"
                    );
                }

                // Regime by event time, weights, selection.
                var regime = RegimeAt(market.Regimes[symbol], bar.EndMs);
                Assert.Equal(regime.Bull, decision.regime.bull, 12);
                Assert.Equal(regime.Entropy, decision.regime.entropy, 12);
                var w = weights.WeightsFor(regime);
                Assert.Equal(w.Bull, decision.strategy_weights.bull_specialist, 12);
                Assert.Equal(DecisionPolicy.ArgmaxSpecialist(w), decision.selected_model);
                Assert.Equal("argmax", decision.selection);

                // The model output, recomputed here from the recorded features.
                var output = Assert.Single(record.model_outputs);
                Assert.Equal(decision.selected_model, output.model);
                var rescored = models.Score(decision.selected_model, [.. record.features]);
                Assert.Equal(rescored.Probabilities, output.probabilities.ToArray());
                var (proposed, confidence) = DecisionPolicy.Act([.. output.probabilities]);
                Assert.Equal(proposed, decision.proposed_action);
                Assert.Equal(confidence, decision.confidence);
                Assert.Equal(decision.risk.approved ? proposed : TradeAction.HOLD, decision.action);
                Assert.Equal(
                    decision.action == TradeAction.HOLD
                        ? 0
                        : DecisionPolicy.Quantity(decision.action, confidence, regime.Entropy),
                    decision.recommended_quantity
                );

                // The tick that closed the bar: the symbol's first tick of a later bucket.
                var closer = market.Ticks[symbol].First(t => t.TimeMs >= bar.EndMs);
                Assert.Equal(
                    (market.TicksTopic, closer.Partition, closer.Offset),
                    (record.input.topic, record.input.partition, record.input.offset)
                );
                Assert.Equal(64, record.config_fingerprint.Length);
                Assert.True(record.timings.total_ms >= record.timings.inference_ms);

                portfolio.Apply(decision.action, bar.Close);
            }
        }

        // Poison lands in the dead-letter topic with its reason and origin; the good records were all processed.
        Assert.Equal(market.Poison.Count, run.DeadLetters.Count);
        foreach (var (reason, topic, partition, offset) in market.Poison)
        {
            var dead = Assert.Single(
                run.DeadLetters,
                d =>
                    Header(d, "dlq.offset") == offset.ToString(System.Globalization.CultureInfo.InvariantCulture)
                    && Header(d, "dlq.topic") == topic
            );
            Assert.Equal(reason, Header(dead, "dlq.reason"));
            Assert.Equal(
                partition.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Header(dead, "dlq.partition")
            );
            Assert.Equal("AAA", Encoding.UTF8.GetString(dead.Message.Key!));
        }
    }

    /// <summary>Bars the worker must decide: every bar of the valid ticks but the last, still open.</summary>
    internal static Dictionary<string, List<Bar>> ExpectedBars(RecordedMarket market) =>
        market.Ticks.ToDictionary(
            s => s.Key,
            s =>
            {
                var bars = BatchFeatureReference.Bars(
                    s.Value.Select(t => (t.TimeMs, t.Price, t.Size)),
                    RecordedMarket.BarMs
                );
                bars.RemoveAt(bars.Count - 1);
                return bars;
            }
        );

    private static RegimeState RegimeAt(
        List<(long EventTimeMs, double Bull, double Bear, double Sideways)> updates,
        long barEndMs
    ) =>
        updates.LastOrDefault(u => u.EventTimeMs < barEndMs) is { EventTimeMs: > 0 } u
            ? RegimeState.TryCreate(u.Bull, u.Bear, u.Sideways, null, out _)!.Value
            : RegimeState.Prior;

    /// <summary>A decision's content without its wall-clock fields (produced_at, latency_ms).</summary>
    private static List<string> Identity(PipelineRun run) =>
        [
            .. run
                .Decisions.Select(d =>
                    string.Join(
                        '|',
                        d.decision_id,
                        d.symbol,
                        d.bar_end.Ticks,
                        d.action,
                        d.proposed_action,
                        d.confidence.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                        d.recommended_quantity,
                        d.regime.bull,
                        d.regime.entropy,
                        d.strategy_weights.bear_specialist,
                        d.selected_model,
                        d.model_version,
                        d.risk.approved,
                        string.Join(';', d.risk.warnings)
                    )
                )
                .Order(StringComparer.Ordinal),
        ];

    private static string? Header(Confluent.Kafka.ConsumeResult<byte[]?, byte[]> record, string name) =>
        record.Message.Headers.TryGetLastBytes(name, out var bytes) ? Encoding.UTF8.GetString(bytes) : null;

    /// <summary>The fixture models loaded here as the worker loads them, for rescoring recorded features.</summary>
    private sealed class LoadedFixtures : IDisposable
    {
        private readonly ModelSet _set = new ModelDirectoryLoader(
            new TorchDevice(Options.Create(new InferenceOptions { Device = "cpu" })),
            TimeProvider.System
        ).Load(TestPaths.PyTorchFixtures, 1);

        public RowResult Score(string model, float[] features) =>
            InferenceEngine.Run(_set, features, features.Length, [RowPlan.ForModel(model)])[0];

        public void Dispose() => _set.Dispose();
    }
}

/// <summary>The end-to-end scenarios on the embedded broker (or <c>KAFKA_BOOTSTRAP_SERVERS</c>).</summary>
[Collection(KafkaClusterGroup.Name)]
public sealed class EndToEndTests(KafkaFixture kafka) : EndToEndScenarios(kafka);

/// <summary>The end-to-end scenarios on Apache Kafka and Schema Registry containers.</summary>
[Collection(ApacheKafkaGroup.Name)]
public sealed class EndToEndOnApacheKafkaTests(ApacheKafkaFixture kafka) : EndToEndScenarios(kafka);
