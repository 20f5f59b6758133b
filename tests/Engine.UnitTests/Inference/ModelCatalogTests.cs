using Inference.Streaming.Engine.Inference;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Engine.UnitTests.Inference;

public sealed class ModelCatalogTests : IDisposable
{
    private readonly string _directory = ModelFixtures.CopyToScratch();
    private readonly ModelFixtures.Reference _bull = ModelFixtures.ReferenceOf(ModelNames.Bull);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task ReloadWhileOtherThreadsRunInferenceFailsNoCallAndSwitchesToTheNewWeights()
    {
        using var catalog = CreateCatalog(watch: false);
        await catalog.StartAsync(CancellationToken.None);
        // Scored on the bull fixture's inputs, for which PyTorch's outputs of the new weights are known.
        var input = _bull.Inputs[0];
        var before = Score(catalog, input, 43, [RowPlan.ForModel(ModelNames.Universal)])[0].Probabilities[0];
        Assert.True(Math.Abs(before - _bull.Probs[0][0]) > 1e-4, "the two fixtures must score the row differently");
        var failures = 0;
        var sawNew = 0;
        using var stop = new CancellationTokenSource();
        var workers = Enumerable
            .Range(0, 4)
            .Select(_ =>
                Task.Run(() =>
                {
                    while (!stop.IsCancellationRequested)
                    {
                        try
                        {
                            var p = Score(catalog, input, 43, [RowPlan.ForModel(ModelNames.Universal)])[
                                0
                            ].Probabilities[0];
                            var isOld = Math.Abs(p - before) < 1e-6;
                            var isNew = Math.Abs(p - _bull.Probs[0][0]) < 1e-6;
                            if (isNew)
                            {
                                Interlocked.Exchange(ref sawNew, 1);
                            }

                            if (!isOld && !isNew)
                            {
                                Interlocked.Increment(ref failures);
                            }
                        }
                        catch (Exception)
                        {
                            Interlocked.Increment(ref failures);
                        }
                    }
                })
            )
            .ToArray();

        await Task.Delay(200);
        // The universal model now gets the bull specialist's weights.
        File.Copy(
            ModelFixtures.CheckpointOf(ModelNames.Bull),
            Path.Combine(_directory, ModelNames.CheckpointFile),
            overwrite: true
        );
        var reloaded = await catalog.ReloadAsync(CancellationToken.None);
        await Task.Delay(200);
        await stop.CancelAsync();
        await Task.WhenAll(workers);

        Assert.Equal(2, reloaded.Generation);
        Assert.Equal(0, failures);
        Assert.Equal(1, sawNew);
        var after = Score(catalog, input, 43, [RowPlan.ForModel(ModelNames.Universal)])[0];
        Assert.InRange(Math.Abs(after.Probabilities[0] - _bull.Probs[0][0]), 0, 1e-6);
    }

    [Fact]
    public async Task AChangedFileInTheDirectoryTriggersAReload()
    {
        using var catalog = CreateCatalog(watch: true);
        await catalog.StartAsync(CancellationToken.None);

        File.Copy(
            ModelFixtures.CheckpointOf(ModelNames.Bull),
            Path.Combine(_directory, ModelNames.CheckpointFile),
            overwrite: true
        );

        var deadline = DateTime.UtcNow.AddSeconds(15);
        double p;
        do
        {
            await Task.Delay(50);
            p = Score(catalog, _bull.Inputs[0], 43, [RowPlan.ForModel(ModelNames.Universal)])[0].Probabilities[0];
        } while (Math.Abs(p - _bull.Probs[0][0]) > 1e-6 && DateTime.UtcNow < deadline);

        Assert.InRange(Math.Abs(p - _bull.Probs[0][0]), 0, 1e-6);
        await catalog.StopAsync(CancellationToken.None);
    }

    [Fact]
    public void BeforeTheFirstLoadACallIsRefusedAsNotReady()
    {
        using var catalog = CreateCatalog(watch: false);

        Assert.False(catalog.IsLoaded);
        Assert.Throws<ModelsNotReadyException>(() => catalog.Acquire());
    }

    private ModelCatalog CreateCatalog(bool watch) =>
        new(
            ModelFixtures.Loader(),
            Options.Create(
                new ModelOptions
                {
                    Directory = _directory,
                    WatchForChanges = watch,
                    ReloadDebounce = TimeSpan.FromMilliseconds(200),
                }
            ),
            Options.Create(new InferenceOptions { MaxBatchSize = 8 }),
            TimeProvider.System,
            NullLogger<ModelCatalog>.Instance
        );

    private static RowResult[] Score(
        ModelCatalog catalog,
        ReadOnlySpan<float> features,
        int width,
        ReadOnlySpan<RowPlan> plans
    )
    {
        using var lease = catalog.Acquire();
        return InferenceEngine.Run(lease.Set, features, width, plans);
    }
}
