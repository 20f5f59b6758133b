using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;
using TorchSharp;
using static TorchSharp.torch;

namespace Inference.Streaming.Engine.Inference;

/// <summary>
/// The device inference runs on, chosen once per process from <c>Inference:Device</c>. With
/// <c>Inference:LibTorchDirectory</c> libtorch (and its CUDA libraries) come from an existing
/// PyTorch installation, loaded before TorchSharp's first use (docs/design.md, Platform facts): that is how
/// CUDA is used where no TorchSharp CUDA package is available.
/// </summary>
public sealed class TorchDevice
{
    // Load order matters: each library's dependencies first.
    private static readonly string[] LibTorchLibraries =
    [
        "libc10.so",
        "libtorch_cpu.so",
        "libc10_cuda.so",
        "libtorch_cuda.so",
        "libtorch.so",
    ];

    public TorchDevice(IOptions<InferenceOptions> options)
    {
        var settings = options.Value;
        if (!string.IsNullOrWhiteSpace(settings.LibTorchDirectory))
        {
            LoadLibTorchFrom(settings.LibTorchDirectory);
        }

        var cudaAvailable = cuda.is_available();
        Device = settings.Device switch
        {
            "cpu" => CPU,
            "cuda" when cudaAvailable => CUDA,
            "cuda" => throw new InvalidOperationException(
                "Inference:Device is 'cuda' but no CUDA device is available to libtorch (set "
                    + "Inference:LibTorchDirectory to a CUDA PyTorch's lib folder, or use 'auto' or 'cpu')."
            ),
            _ => cudaAvailable ? CUDA : CPU,
        };
        if (settings.CpuThreads > 0)
        {
            set_num_threads(settings.CpuThreads);
        }

        Name = Device.type == DeviceType.CUDA ? "cuda" : "cpu";
        ComputeType = settings.DeterministicFloat64 ? ScalarType.Float64 : ScalarType.Float32;
    }

    /// <summary>The dtype weights and activations are computed in.</summary>
    public ScalarType ComputeType { get; }

    public Device Device { get; }

    /// <summary><c>cpu</c> or <c>cuda</c>.</summary>
    public string Name { get; }

    public bool IsCuda => Device.type == DeviceType.CUDA;

    private static void LoadLibTorchFrom(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new InvalidOperationException($"Inference:LibTorchDirectory '{directory}' does not exist.");
        }

        foreach (var library in LibTorchLibraries)
        {
            var path = Path.Combine(directory, library);
            if (File.Exists(path))
            {
                NativeLibrary.Load(path);
            }
        }

        // TorchSharp's own native shim, from this application, bound to the libtorch just loaded.
        NativeLibrary.Load(Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so"));
    }
}
