using System.IO.Compression;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Worker.IntegrationTests.Hosting;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Inference.Streaming.Worker.IntegrationTests.Hostile;

/// <summary>Model directories with broken files in them, written for the hostile-input tests.</summary>
internal static class HostileModels
{
    /// <summary>A copy of the PyTorch fixtures; the caller deletes it.</summary>
    public static string CopyFixtures()
    {
        var scratch = Directory.CreateTempSubdirectory("hostile-models-").FullName;
        foreach (var name in ModelNames.All)
        {
            var target = ModelNames.FolderOf(scratch, name);
            Directory.CreateDirectory(target);
            File.Copy(
                Path.Combine(ModelNames.FolderOf(TestPaths.PyTorchFixtures, name), ModelNames.CheckpointFile),
                Path.Combine(target, ModelNames.CheckpointFile)
            );
        }

        return scratch;
    }

    public static string PathOf(string directory, string name) =>
        Path.Combine(ModelNames.FolderOf(directory, name), ModelNames.CheckpointFile);

    /// <summary>A self-consistent actor-critic with another input width.</summary>
    public static void WrongWidth(string path, int width)
    {
        using var network = new PolicyNetwork(width);
        network.save_py(path);
    }

    /// <summary>A 43-input actor-critic with one non-finite weight.</summary>
    public static void NonFinite(string path, double value)
    {
        using var network = new PolicyNetwork(43);
        using (no_grad())
        {
            network.named_parameters().First(p => p.name == "feature_extractor.0.weight").parameter[3, 5] = tensor(
                value
            );
        }

        network.save_py(path);
    }

    /// <summary>A torch.save zip of a few hundred bytes whose pickle claims a 2 GiB byte string.</summary>
    public static void HugeLength(string path)
    {
        File.Delete(path);
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        using (var stream = zip.CreateEntry("archive/data.pkl", CompressionLevel.NoCompression).Open())
        {
            stream.Write([0x80, 0x02, (byte)'}', (byte)'q', 0x00, (byte)'B', 0xFF, 0xFF, 0xFF, 0x7F, (byte)'.']);
        }

        using (var stream = zip.CreateEntry("archive/version", CompressionLevel.NoCompression).Open())
        {
            stream.Write("3\n"u8);
        }
    }

    /// <summary>A 2 GiB sparse file that starts like a zip.</summary>
    public static void Sparse(string path)
    {
        using var sparse = File.Create(path);
        sparse.Write("PK\u0003\u0004"u8);
        sparse.SetLength(2L * 1024 * 1024 * 1024);
    }
}
