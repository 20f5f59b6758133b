using System.Runtime.InteropServices;

namespace Inference.Streaming.Worker.Diagnostics;

/// <summary>The few NVML calls needed, bound at run time so that hosts without the driver still start.</summary>
internal sealed unsafe class Nvml : IDisposable
{
    private readonly nint _library;
    private readonly nint _device;
    private readonly delegate* unmanaged<nint, NvmlUtilization*, int> _utilization;
    private readonly delegate* unmanaged<nint, NvmlMemory*, int> _memory;
    private readonly delegate* unmanaged<int> _shutdown;

    private Nvml(nint library, nint device)
    {
        _library = library;
        _device = device;
        _utilization = (delegate* unmanaged<nint, NvmlUtilization*, int>)
            NativeLibrary.GetExport(library, "nvmlDeviceGetUtilizationRates");
        _memory = (delegate* unmanaged<nint, NvmlMemory*, int>)
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
        NvmlUtilization value;
        return _utilization(_device, &value) == 0 ? value.Gpu : null;
    }

    public long? MemoryUsed()
    {
        NvmlMemory value;
        return _memory(_device, &value) == 0 ? (long)value.Used : null;
    }

    public void Dispose()
    {
        _shutdown();
        NativeLibrary.Free(_library);
    }
}

[StructLayout(LayoutKind.Sequential)]
internal struct NvmlUtilization
{
    public uint Gpu;
    public uint Memory;
}

[StructLayout(LayoutKind.Sequential)]
internal struct NvmlMemory
{
    public ulong Total;
    public ulong Free;
    public ulong Used;
}
