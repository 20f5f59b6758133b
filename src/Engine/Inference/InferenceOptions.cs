using System.ComponentModel.DataAnnotations;
using Inference.Streaming.Engine.Validation;

namespace Inference.Streaming.Engine.Inference;

/// <summary>Device and batching of inference (<c>Inference:*</c>).</summary>
public sealed class InferenceOptions
{
    public const string Section = "Inference";

    /// <summary><c>auto</c> (CUDA when available), <c>cpu</c> or <c>cuda</c>.</summary>
    [RegularExpression("^(auto|cpu|cuda)$", ErrorMessage = "Inference:Device must be auto, cpu or cuda.")]
    public string Device { get; set; } = "auto";

    /// <summary>A PyTorch installation's <c>lib</c> folder to load libtorch (and CUDA) from.</summary>
    public string? LibTorchDirectory { get; set; }

    [Range(1, 65536)]
    public int MaxBatchSize { get; set; } = 256;

    /// <summary>
    /// Compute in float64 and round the outputs to float32 (default): a row's result then does not
    /// depend on which other rows share its batch, so decisions are identical across restarts and
    /// replays. float32 BLAS kernels change with the batch size and differ in the last bits.
    /// </summary>
    public bool DeterministicFloat64 { get; set; } = true;

    /// <summary>
    /// Longest a closed bar waits for others to share its batch (Triton's max queue delay). Zero, the
    /// default, batches opportunistically: a batch goes as soon as the batcher is free, with every bar
    /// queued by then (bars that close while a batch is in flight share the next one). Measured at 5,000
    /// ticks/s over 200 symbols, waiting 2 ms raised tick-to-decision p50 by about 2.5 ms and did not raise
    /// throughput (docs/PERFORMANCE.md).
    /// </summary>
    [TimeSpanRange("00:00:00", "00:00:01", ErrorMessage = "Inference:MaxBatchDelay must be between 0 and 1 s.")]
    public TimeSpan MaxBatchDelay { get; set; } = TimeSpan.Zero;

    /// <summary>Default selection: <c>Argmax</c> (the seed) or <c>Mixture</c>.</summary>
    public SelectionStrategy Selection { get; set; } = SelectionStrategy.Argmax;

    /// <summary>Per-symbol overrides of <see cref="Selection"/>.</summary>
    public Dictionary<string, SelectionStrategy> SymbolSelection { get; set; } = [];

    /// <summary>
    /// Intra-op threads for CPU inference; 0 keeps libtorch's default (one per core). One is the
    /// default: batches here are small and several callers (stream, REST) run at once, so
    /// intra-op parallelism only oversubscribes the cores.
    /// </summary>
    [Range(0, 256)]
    public int CpuThreads { get; set; } = 1;
}
