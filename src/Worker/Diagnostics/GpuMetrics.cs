using System.Diagnostics.Metrics;
using System.Runtime.InteropServices;
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

    /// <summary>The few NVML calls needed, bound at run time so that hosts without the driver still start.</summary>
    private sealed unsafe class Nvml : IDisposable
    {
        private readonly nint _library;
        private readonly nint _device;
        private readonly delegate* unmanaged<nint, Utilization*, int> _utilization;
        private readonly delegate* unmanaged<nint, Memory*, int> _memory;
        private readonly delegate* unmanaged<int> _shutdown;

        private Nvml(nint library, nint device)
        {
            _library = library;
            _device = device;
            _utilization = (delegate* unmanaged<nint, Utilization*, int>)
                NativeLibrary.GetExport(library, "nvmlDeviceGetUtilizationRates");
            _memory = (delegate* unmanaged<nint, Memory*, int>)
                NativeLibrary.GetExport(library, "nvmlDeviceGetMemoryInfo");
            _shutdown = (delegate* unmanaged<int>)NativeLibrary.GetExport(library, "nvmlShutdown");
        }

        public static Nvml? TryOpen(int index)
        {
            if (!NativeLibrary.TryLoad("libnvidia-ml.so.1", out var library))
            {
                return null;
            }

            try
            {
                var init = (delegate* unmanaged<int>)NativeLibrary.GetExport(library, "nvmlInit_v2");
                var byIndex = (delegate* unmanaged<uint, nint*, int>)
                    NativeLibrary.GetExport(library, "nvmlDeviceGetHandleByIndex_v2");
                nint device;
                if (init() != 0 || byIndex((uint)index, &device) != 0)
                {
                    NativeLibrary.Free(library);
                    return null;
                }

                return new Nvml(library, device);
            }
            catch (EntryPointNotFoundException)
            {
                NativeLibrary.Free(library);
                return null;
            }
        }

        public double? Utilization()
        {
            Utilization value;
            return _utilization(_device, &value) == 0 ? value.Gpu : null;
        }

        public long? MemoryUsed()
        {
            Memory value;
            return _memory(_device, &value) == 0 ? (long)value.Used : null;
        }

        public void Dispose()
        {
            _shutdown();
            NativeLibrary.Free(_library);
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Utilization
    {
        public uint Gpu;
        public uint Memory;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Memory
    {
        public ulong Total;
        public ulong Free;
        public ulong Used;
    }
}
