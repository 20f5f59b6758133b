using BenchmarkDotNet.Attributes;
using Inference.Streaming.Engine.Inference;
using static TorchSharp.torch;

namespace Inference.Streaming.Benchmarks;

/// <summary>
/// Stacked specialists (issue 31): the three specialists' forward over the same rows (a mixture), one after the
/// other against one stacked forward, with one specialist alone as the baseline: bare forwards on prepared tensors,
/// then the engine's whole call for one specialist and for the mixture. Float64 (the engine's default), one
/// thread.
/// </summary>
[MemoryDiagnoser]
public class StackedForwardBenchmarks
{
    private ModelSet _set = null!;
    private PolicyNetwork[] _networks = [];
    private StackedPolicy _stack = null!;
    private Tensor _input = null!;
    private Tensor _stackedInput = null!;
    private float[] _features = [];
    private RowPlan[] _single = [];
    private RowPlan[] _mixture = [];

    [Params(1, 8, 32)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        set_num_threads(1);
        _set = Models.LoadFixtures();
        _networks = [.. ModelNames.Specialists.Select(n => _set.Models[n].Seed!)];
        _stack = new StackedPolicy(_networks);
        _features = Models.RandomRows(Batch, 43, seed: 7);
        _single = [.. Enumerable.Repeat(RowPlan.ForModel(ModelNames.Bull), Batch)];
        _mixture = [.. Enumerable.Repeat(RowPlan.Mixture(0.5, 0.3, 0.2), Batch)];
        using var input = tensor(_features, [Batch, 43]);
        _input = input.to(ScalarType.Float64);
        _stackedInput = _input.unsqueeze(0).expand(3, Batch, 43).contiguous();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _input.Dispose();
        _stackedInput.Dispose();
        _stack.Dispose();
        _set.Dispose();
    }

    [Benchmark(Baseline = true)]
    public double OneModel()
    {
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        var (p, _) = _networks[0].call(_input);
        return p.numel();
    }

    [Benchmark]
    public double ThreeInSequence()
    {
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        var total = 0L;
        foreach (var network in _networks)
        {
            var (p, _) = network.call(_input);
            total += p.numel();
        }

        return total;
    }

    [Benchmark]
    public double ThreeStacked()
    {
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        var (p, _) = _stack.Forward(_stackedInput);
        return p.numel();
    }

    /// <summary>The engine's whole call for one specialist's rows (gather, forward, copy out, row
    /// results).</summary>
    [Benchmark]
    public double EngineOneModel() => InferenceEngine.Run(_set, _features, 43, _single)[0].Probabilities[0];

    /// <summary>The engine's whole call for a mixture of the three specialists (stacked since issue 31).</summary>
    [Benchmark]
    public double EngineMixture() => InferenceEngine.Run(_set, _features, 43, _mixture)[0].Probabilities[0];
}
