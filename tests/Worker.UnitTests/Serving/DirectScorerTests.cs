using System.Diagnostics.Metrics;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Engine.UnitTests.Inference;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Serving;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.UnitTests.Serving;

/// <summary>
/// The REST path's opportunistic batching with PyTorch's fixture models: a caller that finds the
/// engine idle is answered on its own thread; concurrent callers share forwards and each gets the
/// answer it would get alone, bit for bit; a stopping scorer takes no new request.
/// </summary>
public sealed class DirectScorerTests : IDisposable
{
    private readonly FixtureCatalog _catalog = new(
        ModelFixtures.Loader().Load(ModelFixtures.Directory, generation: 1, Observation.Width)
    );

    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public void Dispose()
    {
        _catalog.Dispose();
        _services.Dispose();
    }

    private DirectScorer Scorer(int maxBatch = 256, bool float64 = true) =>
        new(
            _catalog,
            Options.Create(
                new InferenceOptions
                {
                    Device = "cpu",
                    MaxBatchSize = maxBatch,
                    DeterministicFloat64 = float64,
                }
            ),
            new ServingMetrics(_services.GetRequiredService<IMeterFactory>())
        );

    private static float[] Row(int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, Observation.Width).Select(_ => (float)(random.NextDouble() * 2 - 1))];
    }

    private static RowPlan Plan(int i) =>
        (i % 3) switch
        {
            0 => RowPlan.ForModel(ModelNames.Universal),
            1 => new RowPlan(null, 0.5, 0.3, 0.2),
            _ => RowPlan.ForModel(ModelNames.Bull),
        };

    [Fact]
    public async Task AnIdleScorerAnswersTheCallerBeforeReturning()
    {
        var scorer = Scorer();

        var task = scorer.ScoreAsync(Row(1), Plan(0));

        Assert.True(task.IsCompletedSuccessfully);
        Assert.True((await task).Result.Succeeded);
        Assert.Equal(1, _catalog.Acquisitions);
    }

    [Fact]
    public async Task ConcurrentCallersEachGetTheirOwnAnswerBitForBit()
    {
        const int Requests = 600;
        var alone = Scorer();
        var expected = new RowResult[Requests];
        for (var i = 0; i < Requests; i++)
        {
            expected[i] = (await alone.ScoreAsync(Row(i), Plan(i))).Result;
        }

        var leasesAlone = _catalog.Acquisitions;
        var shared = Scorer(maxBatch: 16);
        using var start = new ManualResetEventSlim();
        var callers = Enumerable
            .Range(0, 8)
            .Select(c =>
                Task.Run(async () =>
                {
                    start.Wait();
                    var answers = new List<(int, RowResult)>();
                    for (var i = c; i < Requests; i += 8)
                    {
                        answers.Add((i, (await shared.ScoreAsync(Row(i), Plan(i))).Result));
                    }

                    return answers;
                })
            )
            .ToArray();
        start.Set();
        var answered = (await Task.WhenAll(callers)).SelectMany(a => a).ToList();

        Assert.Equal(Requests, answered.Count);
        foreach (var (i, result) in answered)
        {
            Assert.Equal(expected[i].DecidedBy, result.DecidedBy);
            Assert.Equal(expected[i].Probabilities, result.Probabilities);
        }

        Assert.Equal(Requests, leasesAlone);
    }

    [Fact]
    public async Task RequestsArrivingWhileABatchIsInFlightShareTheNextForward()
    {
        var scorer = Scorer();
        var alone = Scorer();
        _catalog.Gate.Reset();
        var leader = Task.Run(() => scorer.ScoreAsync(Row(0), Plan(0)));
        Assert.True(_catalog.Waiting.Wait(TimeSpan.FromSeconds(30)), "the leader never reached the models");

        // The leader's batch is in flight: these queue, and its caller is not kept for them.
        var queued = Enumerable.Range(1, 20).Select(i => scorer.ScoreAsync(Row(i), Plan(i))).ToArray();
        Assert.All(queued, q => Assert.False(q.IsCompleted));
        _catalog.Gate.Set();
        await leader;
        var answers = await Task.WhenAll(queued);

        Assert.Equal(2, _catalog.Acquisitions);
        for (var i = 1; i <= 20; i++)
        {
            var expected = (await alone.ScoreAsync(Row(i), Plan(i))).Result;
            Assert.Equal(expected.Probabilities, answers[i - 1].Result.Probabilities);
            Assert.Equal(expected.DecidedBy, answers[i - 1].Result.DecidedBy);
        }
    }

    [Fact]
    public async Task TheSameObservationPlanAndModelsAreAnsweredFromMemory()
    {
        var scorer = Scorer();
        var features = Row(7);
        using var scored = new MetricCollector<long>(
            _services.GetRequiredService<IMeterFactory>(),
            PipelineMetrics.MeterName,
            "inference_rest_scores"
        );

        var first = await scorer.ScoreAsync(features, Plan(1));
        var again = await scorer.ScoreAsync(features, Plan(1));
        var otherPlan = await scorer.ScoreAsync(features, Plan(0));
        var sameValuesOtherObservation = await scorer.ScoreAsync([.. features], Plan(1));

        Assert.Same(first.Result, again.Result);
        Assert.Equal(first.Fingerprint, again.Fingerprint);
        Assert.NotSame(first.Result, otherPlan.Result);
        Assert.NotEqual(first.Result.DecidedBy, otherPlan.Result.DecidedBy);
        // Another snapshot with the same values is scored again, and (float64) gets the same answer.
        Assert.NotSame(first.Result, sameValuesOtherObservation.Result);
        Assert.Equal(first.Result.Probabilities, sameValuesOtherObservation.Result.Probabilities);
        // Counted by source: one of the four answers came from memory.
        var counts = scored
            .GetMeasurementSnapshot()
            .GroupBy(m => (string)m.Tags["source"]!)
            .ToDictionary(g => g.Key, g => g.Sum(m => m.Value));
        Assert.Equal(1, counts["memory"]);
        Assert.Equal(3, counts["model"]);
    }

    [Fact]
    public async Task InFloat32NothingIsRememberedBecauseABatchCanChangeTheLastBits()
    {
        var scorer = Scorer(float64: false);
        var features = Row(7);

        var first = await scorer.ScoreAsync(features, Plan(1));
        var again = await scorer.ScoreAsync(features, Plan(1));

        Assert.NotSame(first.Result, again.Result);
    }

    [Fact]
    public async Task AFailedForwardFailsItsCallersAndTheNextRequestIsScored()
    {
        var scorer = Scorer();
        _catalog.Empty = true;

        await Assert.ThrowsAsync<ModelsNotReadyException>(() => scorer.ScoreAsync(Row(1), Plan(0)));

        _catalog.Empty = false;
        Assert.True((await scorer.ScoreAsync(Row(2), Plan(0))).Result.Succeeded);
    }

    [Fact]
    public async Task AStoppingScorerRefusesNewRequests()
    {
        var scorer = Scorer();
        await scorer.StopAsync(CancellationToken.None);

        // Refused at the call, before anything is queued.
        var refused = Assert.IsType<ModelsNotReadyException>(
            Record.Exception(() =>
            {
                _ = scorer.ScoreAsync(Row(1), Plan(0));
            })
        );
        Assert.Contains("stopping", refused.Message, StringComparison.Ordinal);
    }
}
