using Inference.Streaming.Engine.Inference;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Benchmarks;

/// <summary>The PyTorch fixture checkpoints, loaded on the CPU.</summary>
internal static class Models
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Fixtures", "pytorch");

    /// <summary>The shipped models (<c>models/</c>), found above the build output.</summary>
    public static string Shipped
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Inference.Streaming.sln")))
                {
                    return Path.Combine(dir.FullName, "models");
                }
            }

            throw new InvalidOperationException("the repository root is not above " + AppContext.BaseDirectory);
        }
    }

    public static ModelSet LoadFixtures(bool float64 = true) => Load(Directory, float64);

    public static ModelSet Load(string directory, bool float64 = true)
    {
        var device = new TorchDevice(
            Options.Create(new InferenceOptions { Device = "cpu", DeterministicFloat64 = float64 })
        );
        var set = new ModelDirectoryLoader(device, TimeProvider.System).Load(directory, 1);
        return set.Errors.Count == 0 ? set : throw new InvalidOperationException(string.Join("; ", set.Errors));
    }

    public static float[] RandomRows(int rows, int width, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, rows * width).Select(_ => (float)((random.NextDouble() * 2) - 1))];
    }
}
