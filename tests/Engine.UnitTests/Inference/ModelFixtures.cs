using System.Text.Json;
using Inference.Streaming.Engine.Inference;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Engine.UnitTests.Inference;

/// <summary>The PyTorch-written checkpoints of tests/Fixtures/pytorch and scratch copies of them.</summary>
internal static class ModelFixtures
{
    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "Fixtures", "pytorch");

    public static TorchDevice Cpu { get; } = new(Options.Create(new InferenceOptions { Device = "cpu" }));

    public static TorchDevice CpuFloat32 { get; } =
        new(Options.Create(new InferenceOptions { Device = "cpu", DeterministicFloat64 = false }));

    public static ModelDirectoryLoader Loader() => new(Cpu, TimeProvider.System);

    /// <summary>Weights kept in float32, to compare bit for bit with a float32 TorchSharp network.</summary>
    public static ModelDirectoryLoader Float32Loader() => new(CpuFloat32, TimeProvider.System);

    public static string CheckpointOf(string name) =>
        Path.Combine(ModelNames.FolderOf(Directory, name), ModelNames.CheckpointFile);

    public static Reference ReferenceOf(string name)
    {
        using var json = JsonDocument.Parse(
            File.ReadAllText(Path.Combine(ModelNames.FolderOf(Directory, name), "reference.json"))
        );
        var root = json.RootElement;
        return new Reference(
            [
                .. root.GetProperty("inputs")
                    .EnumerateArray()
                    .Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()),
            ],
            [
                .. root.GetProperty("probs")
                    .EnumerateArray()
                    .Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()),
            ],
            [.. root.GetProperty("values").EnumerateArray().Select(v => v.GetDouble())],
            root.GetProperty("parameters").GetInt64(),
            root.GetProperty("state_dim").GetInt32()
        );
    }

    /// <summary>A scratch copy of the fixture directory (checkpoints only), deleted by the caller.</summary>
    public static string CopyToScratch()
    {
        var scratch = System.IO.Directory.CreateTempSubdirectory("models-").FullName;
        foreach (var name in ModelNames.All)
        {
            var target = ModelNames.FolderOf(scratch, name);
            System.IO.Directory.CreateDirectory(target);
            File.Copy(CheckpointOf(name), Path.Combine(target, ModelNames.CheckpointFile));
        }

        return scratch;
    }

    public sealed record Reference(float[][] Inputs, double[][] Probs, double[] Values, long Parameters, int StateDim)
    {
        public float[] Flat() => [.. Inputs.SelectMany(r => r)];
    }
}
