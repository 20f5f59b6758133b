using BenchmarkDotNet.Attributes;
using Inference.Streaming.Engine.Inference;
using static TorchSharp.torch;

namespace Inference.Streaming.Benchmarks;

/// <summary>What the deterministic float64 default costs: a bare forward in float32 against float64, one
/// thread.</summary>
[MemoryDiagnoser]
public class PrecisionBenchmarks
{
    private ModelSet _set32 = null!;
    private ModelSet _set64 = null!;
    private Tensor _input32 = null!;
    private Tensor _input64 = null!;

    [Params(1, 64, 256, 1024)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        set_num_threads(1);
        _set32 = Models.LoadFixtures(float64: false);
        _set64 = Models.LoadFixtures(float64: true);
        using var input = tensor(Models.RandomRows(Batch, 43, seed: 7), [Batch, 43]);
        _input32 = input.to(ScalarType.Float32);
        _input64 = input.to(ScalarType.Float64);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _input32.Dispose();
        _input64.Dispose();
        _set32.Dispose();
        _set64.Dispose();
    }

    [Benchmark(Baseline = true)]
    public long SinglePrecisionForward() => Forward(_set32, _input32);

    [Benchmark]
    public long DoublePrecisionForward() => Forward(_set64, _input64);

    private static long Forward(ModelSet set, Tensor input)
    {
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        var (p, _) = set.Models[ModelNames.Bull].Network.call(input);
        return p.numel();
    }
}
