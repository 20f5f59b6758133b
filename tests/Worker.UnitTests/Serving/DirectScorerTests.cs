using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Engine.UnitTests.Inference;
using Inference.Streaming.Worker.Serving;
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

    public void Dispose() => _catalog.Dispose();

    private DirectScorer Scorer(int maxBatch = 256) =>
        new(_catalog, Options.Create(new InferenceOptions { Device = "cpu", MaxBatchSize = maxBatch }));

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
    public async Task ConcurrentCallersShareForwardsAndEachGetsItsOwnAnswerBitForBit()
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
        // Eight callers on a 2-core machine: some requests waited for a batch in flight and shared the next.
        Assert.True(_catalog.Acquisitions - leasesAlone < Requests, $"{_catalog.Acquisitions - leasesAlone} batches");
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
