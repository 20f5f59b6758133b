using Inference.Streaming.Engine.Inference;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Benchmarks;

/// <summary>The PyTorch fixture checkpoints, loaded on the CPU.</summary>
internal static class Models
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Fixtures", "pytorch");

    public static ModelSet LoadFixtures(bool float64 = true)
    {
        var device = new TorchDevice(
            Options.Create(new InferenceOptions { Device = "cpu", DeterministicFloat64 = float64 })
        );
        var set = new ModelDirectoryLoader(device, TimeProvider.System).Load(Directory, 1);
        return set.Errors.Count == 0 ? set : throw new InvalidOperationException(string.Join("; ", set.Errors));
    }

    public static float[] RandomRows(int rows, int width, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, rows * width).Select(_ => (float)((random.NextDouble() * 2) - 1))];
    }
}
