using BenchmarkDotNet.Attributes;
using Inference.Streaming.Engine.Inference;
using static TorchSharp.torch;

namespace Inference.Streaming.Benchmarks;

/// <summary>
/// What a shadow experiment costs the batcher (issue 18): one batch scored by the champion alone, against the
/// champion and the challenger (the shipped models) scoring the same rows, one after the other and, as the
/// batcher does it, side by side on two threads. Rows are spread over the three specialists as the stream's
/// argmax routing spreads them; each forward runs on one thread (Inference:CpuThreads 1, the default).
/// </summary>
[MemoryDiagnoser]
public class ShadowCostBenchmarks
{
    private ModelSet _champion = null!;
    private ModelSet _challenger = null!;
    private float[] _features = [];
    private float[] _shadowFeatures = [];
    private RowPlan[] _plans = [];

    /// <summary>The stream's batches hold 3 to 30 rows on average (docs/PERFORMANCE.md); 256 is the most.</summary>
    [Params(1, 8, 32, 256)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        set_num_threads(1);
        _champion = Models.LoadFixtures();
        _challenger = Models.Load(Models.Shipped);
        _features = Models.RandomRows(Batch, 43, seed: 7);
        _shadowFeatures = Models.RandomRows(Batch, 43, seed: 8);
        string[] specialists = [ModelNames.Bull, ModelNames.Bear, ModelNames.Sideways];
        _plans = [.. Enumerable.Range(0, Batch).Select(i => RowPlan.ForModel(specialists[i % 3]))];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _champion.Dispose();
        _challenger.Dispose();
    }

    [Benchmark(Baseline = true)]
    public double ChampionOnly() => InferenceEngine.Run(_champion, _features, 43, _plans)[0].Value;

    [Benchmark]
    public double ShadowOneAfterTheOther() =>
        InferenceEngine.Run(_champion, _features, 43, _plans)[0].Value
        + InferenceEngine.Run(_challenger, _shadowFeatures, 43, _plans)[0].Value;

    [Benchmark]
    public double ShadowSideBySide()
    {
        var shadow = Task.Run(() => InferenceEngine.Run(_challenger, _shadowFeatures, 43, _plans)[0].Value);
        var live = InferenceEngine.Run(_champion, _features, 43, _plans)[0].Value;
        return live + shadow.GetAwaiter().GetResult();
    }
}
