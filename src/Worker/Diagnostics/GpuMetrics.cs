using System.Diagnostics.Metrics;
using Inference.Streaming.Engine.Inference;

namespace Inference.Streaming.Worker.Diagnostics;

/// <summary>
/// GPU utilisation and memory of the inference device, read from NVML (<c>libnvidia-ml.so.1</c>,
/// installed with the NVIDIA driver) when inference runs on CUDA. On CPU, or without the driver's
/// library, the gauges report nothing rather than a made-up zero.
/// </summary>
public sealed class GpuMetrics : IDisposable
{
    public const string MeterName = "Inference.Streaming.Gpu";
    public const string UtilizationInstrument = "inference_gpu_utilization";
    public const string MemoryInstrument = "inference_gpu_memory_used";

    private readonly Nvml? _nvml;
    private readonly int _index;

    public GpuMetrics(IMeterFactory meters, TorchDevice device)
    {
        var meter = meters.Create(MeterName);
        _index = device.IsCuda ? Math.Max(0, (int)device.Device.index) : 0;
        _nvml = device.IsCuda ? Nvml.TryOpen(_index) : null;
        meter.CreateObservableGauge(
            UtilizationInstrument,
            ObserveUtilization,
            "%",
            "GPU utilisation of the inference device over NVML's last sample period"
        );
        meter.CreateObservableGauge(MemoryInstrument, ObserveMemory, "By", "GPU memory in use on the inference device");
    }

    /// <summary>Whether NVML answered for the inference device.</summary>
    public bool Available => _nvml is not null;

    public void Dispose() => _nvml?.Dispose();

    private IEnumerable<Measurement<double>> ObserveUtilization() =>
        _nvml?.Utilization() is { } percent
            ? [new Measurement<double>(percent, new KeyValuePair<string, object?>("gpu", _index))]
            : [];

    private IEnumerable<Measurement<long>> ObserveMemory() =>
        _nvml?.MemoryUsed() is { } bytes
            ? [new Measurement<long>(bytes, new KeyValuePair<string, object?>("gpu", _index))]
            : [];
}
