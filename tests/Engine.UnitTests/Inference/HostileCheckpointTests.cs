using System.Buffers.Binary;
using System.IO.Compression;
using Inference.Streaming.Engine.Inference;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Inference.Streaming.Engine.UnitTests.Inference;

/// <summary>
/// Checkpoints written to hurt: lengths that claim gigabytes, files over the size limit, the wrong
/// input width, non-finite weights. Each is refused by name with its reason, nothing large is
/// allocated, and the other models load.
/// </summary>
public sealed class HostileCheckpointTests : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("hostile-").FullName;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    public static TheoryData<string, byte[], string> HugePickles =>
        new()
        {
            // BINBYTES claiming 2 GiB in a file of a few hundred bytes (the reported attack).
            { "binbytes-2gib", [0x80, 0x02, (byte)'B', 0xFF, 0xFF, 0xFF, 0x7F, (byte)'.'], "argument at offset 2" },
            { "binunicode-2gib", [0x80, 0x02, (byte)'X', 0xFF, 0xFF, 0xFF, 0x7F, (byte)'.'], "argument at offset 2" },
            { "binstring-negative", [0x80, 0x02, (byte)'T', 0xFF, 0xFF, 0xFF, 0xFF, (byte)'.'], "negative length" },
            { "binbytes8-exabyte", [0x80, 0x04, 0x8e, 0, 0, 0, 0, 0, 0, 0, 0x10, (byte)'.'], "argument at offset 2" },
            { "frame-huge", [0x80, 0x04, 0x95, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, (byte)'.'], "frame of" },
            { "long4-huge", [0x80, 0x02, 0x8b, 0x00, 0x00, 0x00, 0x40, (byte)'.'], "argument at offset 2" },
            { "unknown-opcode", [0x80, 0x02, 0xFE, (byte)'.'], "unknown pickle opcode 0xfe" },
            { "no-stop", [0x80, 0x02, (byte)'N'], "without a STOP" },
            {
                "unterminated-global",
                [0x80, 0x02, (byte)'c', (byte)'t', (byte)'o', (byte)'r', (byte)'c', (byte)'h'],
                "unterminated"
            },
        };

    [Theory]
    [MemberData(nameof(HugePickles))]
    public void APickleWhoseLengthsExceedTheFileIsRefusedBeforeAnythingIsAllocated(
        string name,
        byte[] pickle,
        string reason
    )
    {
        var path = TorchZip(name, pickle);
        Assert.True(new FileInfo(path).Length < 1024, "the hostile file is small");

        var error = Assert.Throws<ModelLoadException>(() => ModelFixtures.Loader().LoadOne(ModelNames.Universal, path));

        Assert.Equal(path, error.Path);
        Assert.Contains("data.pkl", error.Reason, StringComparison.Ordinal);
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void AZipEntryClaimingMoreThanTheFileHoldsIsRefused()
    {
        var path = Path.Combine(_scratch, "entry.pth");
        var data = TorchZip("entry", [0x80, 0x02, (byte)'N', (byte)'.']);
        var bytes = File.ReadAllBytes(data);
        // Rewrite the central directory's uncompressed size of data.pkl to 2 GiB.
        var central = bytes.AsSpan().LastIndexOf("PK\u0001\u0002"u8);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(central + 24), 0x7FFF_FFFF);
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<ModelLoadException>(() => ModelFixtures.Loader().LoadOne(ModelNames.Universal, path));

        Assert.Equal(path, error.Path);
    }

    [Fact]
    public void AFileOverMaxFileBytesIsRefusedWithoutBeingRead()
    {
        var path = Path.Combine(_scratch, ModelNames.CheckpointFile);
        using (var sparse = File.Create(path))
        {
            sparse.Write("PK\u0003\u0004"u8);
            sparse.SetLength(2L * 1024 * 1024 * 1024);
        }

        var error = Assert.Throws<ModelLoadException>(() => ModelFixtures.Loader().LoadOne(ModelNames.Universal, path));

        Assert.Contains("Models:MaxFileBytes", error.Reason, StringComparison.Ordinal);
        Assert.Contains("2,147,483,648", error.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0xFFFF_FFFF_FFFFUL)]
    [InlineData(1_000_000UL)]
    public void ASafetensorsHeaderClaimingMoreThanTheFileIsRefused(ulong claimed)
    {
        var path = Path.Combine(_scratch, ModelNames.SafetensorsFile);
        var bytes = new byte[64];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, claimed);
        bytes[8] = (byte)'{';
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<ModelLoadException>(() => ModelFixtures.Loader().LoadOne(ModelNames.Universal, path));

        Assert.Contains("safetensors header claims", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ASafetensorsTensorPointingPastTheDataIsRefused()
    {
        var path = Path.Combine(_scratch, ModelNames.SafetensorsFile);
        var header = """{"w":{"dtype":"F32","shape":[1000000000],"data_offsets":[0,4000000000]}}"""u8.ToArray();
        var bytes = new byte[8 + header.Length + 16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<ModelLoadException>(() => ModelFixtures.Loader().LoadOne(ModelNames.Universal, path));

        Assert.Contains("tensor 'w'", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryPyTorchWrittenFixturePassesTheGuard()
    {
        foreach (var name in ModelNames.All)
        {
            CheckpointGuard.CheckTorchZip(ModelFixtures.CheckpointOf(name), ModelOptions.DefaultMaxFileBytes);
        }
    }

    [Theory]
    [InlineData(44)]
    [InlineData(53)]
    [InlineData(1)]
    public void AModelOfAnotherInputWidthIsRefusedForTheStreamButScoresAlone(int width)
    {
        var directory = ModelFixtures.CopyToScratch();
        try
        {
            var bull = Path.Combine(directory, ModelNames.Bull, ModelNames.CheckpointFile);
            using (var other = new PolicyNetwork(width))
            {
                other.save_py(bull);
            }

            var set = ModelFixtures.Loader().Load(directory, 1, inputWidth: 43);

            var error = Assert.Single(set.Errors);
            Assert.Equal(ModelNames.Bull, error.Name);
            Assert.Contains($"takes {width} inputs", error.Reason, StringComparison.Ordinal);
            Assert.Equal(3, set.Models.Count);
            set.Dispose();

            using var alone = ModelFixtures.Loader().LoadOne(ModelNames.Bull, bull);
            Assert.Equal(width, alone.Info.InputWidth);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void NonFiniteWeightsAreRefusedNamingTheTensor(double bad)
    {
        var path = Path.Combine(_scratch, ModelNames.CheckpointFile);
        using (var network = new PolicyNetwork(43))
        {
            using (no_grad())
            {
                network.named_parameters().First(p => p.name == "actor.2.weight").parameter[1, 7] = tensor(bad);
            }

            network.save_py(path);
        }

        var error = Assert.Throws<ModelLoadException>(() => ModelFixtures.Loader().LoadOne(ModelNames.Universal, path));

        Assert.Contains("'actor.2.weight' holds 1 non-finite values", error.Reason, StringComparison.Ordinal);
    }

    private string TorchZip(string name, byte[] pickle)
    {
        var path = Path.Combine(_scratch, name + ".pth");
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (entry, content) in new[] { ("archive/data.pkl", pickle), ("archive/version", "3\n"u8.ToArray()) })
        {
            using var stream = zip.CreateEntry(entry, CompressionLevel.NoCompression).Open();
            stream.Write(content);
        }

        return path;
    }
}
