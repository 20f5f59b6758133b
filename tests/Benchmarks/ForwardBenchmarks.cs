using BenchmarkDotNet.Attributes;
using Inference.Streaming.Engine.Inference;
using static TorchSharp.torch;

namespace Inference.Streaming.Benchmarks;

/// <summary>
/// One specialist's forward at several batch sizes, thread counts and precisions: a bare TorchSharp
/// forward on a prepared tensor, against the engine's whole call (gather rows into a tensor,
/// forward, copy results out, build per-row results) at the same batch and precision.
/// </summary>
[MemoryDiagnoser]
public class ForwardBenchmarks
{
    private ModelSet _set = null!;
    private PolicyNetwork _network = null!;
    private Tensor _input = null!;
    private float[] _features = [];
    private RowPlan[] _plans = [];

    [Params(1, 8, 64, 256, 1024)]
    public int Batch { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>The engine's deterministic default: float64 weights and activations.</summary>
    public bool DoublePrecision { get; set; } = true;

    [GlobalSetup]
    public void Setup()
    {
        set_num_threads(Threads);
        _set = Models.LoadFixtures(DoublePrecision);
        _network = _set.Models[ModelNames.Bull].Seed!;
        _features = Models.RandomRows(Batch, 43, seed: 7);
        _plans = Enumerable.Repeat(RowPlan.ForModel(ModelNames.Bull), Batch).ToArray();
        using var input = tensor(_features, [Batch, 43]);
        _input = input.to(DoublePrecision ? ScalarType.Float64 : ScalarType.Float32);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _input.Dispose();
        _set.Dispose();
    }

    [Benchmark(Baseline = true)]
    public double BareForward()
    {
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        var (p, _) = _network.call(_input);
        return p.numel();
    }

    [Benchmark]
    public double Engine() => InferenceEngine.Run(_set, _features, 43, _plans)[0].Probabilities[0];
}
