using Inference.Streaming.Engine.Inference;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Inference.Streaming.Engine.UnitTests.Inference;

/// <summary>Every supported format loads and scores like the network that wrote it; every bad file is refused by
/// name.</summary>
public sealed class CheckpointFormatTests : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("checkpoints-").FullName;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    [Theory]
    [InlineData(43, false)]
    [InlineData(53, false)]
    [InlineData(43, true)]
    [InlineData(53, true)]
    public void ACheckpointWrittenFromANetworkScoresLikeThatNetwork(int width, bool safetensors)
    {
        manual_seed(width + (safetensors ? 1 : 0));
        using var source = new PolicyNetwork(width);
        source.eval();
        var path = Path.Combine(_scratch, safetensors ? ModelNames.SafetensorsFile : ModelNames.CheckpointFile);
        if (safetensors)
        {
            source.save_safetensors(path);
        }
        else
        {
            source.save_py(path);
        }

        using var loaded = ModelFixtures.Float32Loader().LoadOne(ModelNames.Bull, path);
        var input = randn(5, width);
        using (inference_mode())
        {
            var (expectedP, expectedV) = source.call(input);
            var (actualP, actualV) = loaded.Network.call(input);

            Assert.Equal(width, loaded.Info.InputWidth);
            Assert.Equal(
                safetensors ? CheckpointFormat.Safetensors : CheckpointFormat.TorchStateDict,
                loaded.Info.Format
            );
            Assert.True(expectedP.allclose(actualP, rtol: 0, atol: 0), "probabilities differ");
            Assert.True(expectedV.allclose(actualV, rtol: 0, atol: 0), "values differ");
        }
    }

    [Fact]
    public void ATruncatedFileIsRefusedByNameAndTheOthersStillLoad()
    {
        var directory = ModelFixtures.CopyToScratch();
        try
        {
            var bull = Path.Combine(directory, ModelNames.Bull, ModelNames.CheckpointFile);
            var bytes = File.ReadAllBytes(bull);
            File.WriteAllBytes(bull, bytes[..(bytes.Length / 2)]);

            var set = ModelFixtures.Loader().Load(directory, 1);

            var error = Assert.Single(set.Errors);
            Assert.Equal(ModelNames.Bull, error.Name);
            Assert.Equal(bull, error.Path);
            Assert.Contains("truncated or corrupt", error.Reason, StringComparison.Ordinal);
            Assert.Equal(3, set.Models.Count);
            set.Dispose();
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void AManifestWithAnotherSha256RefusesThatModel()
    {
        var directory = ModelFixtures.CopyToScratch();
        try
        {
            File.WriteAllText(
                Path.Combine(directory, ModelNames.Bear, ModelManifest.FileName),
                $$"""{"sha256": "{{new string('0', 64)}}"}"""
            );
            File.WriteAllText(
                Path.Combine(directory, ModelNames.Bull, ModelManifest.FileName),
                $$"""{"sha256": "{{ModelDirectoryLoader
                    .Sha256Of(Path.Combine(directory, ModelNames.Bull, ModelNames.CheckpointFile))
                    .ToUpperInvariant()}}"}"""
            );

            var set = ModelFixtures.Loader().Load(directory, 1);

            var error = Assert.Single(set.Errors);
            Assert.Equal(ModelNames.Bear, error.Name);
            Assert.Contains("does not match the manifest", error.Reason, StringComparison.Ordinal);
            Assert.True(set.Models.ContainsKey(ModelNames.Bull));
            set.Dispose();
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void AnEmptyDirectoryReportsEveryModelMissing()
    {
        var set = ModelFixtures.Loader().Load(_scratch, 1);

        Assert.Empty(set.Models);
        Assert.Equal(ModelNames.All.Order(), set.Errors.Select(e => e.Name).Order());
        Assert.All(set.Errors, e => Assert.Equal("file not found", e.Reason));
    }

    [Theory]
    [InlineData("this is not a checkpoint\n", "unsupported format")]
    [InlineData("", "the file is empty")]
    public void ANonCheckpointFileNamedBestModelIsRefused(string content, string reason)
    {
        var directory = ModelFixtures.CopyToScratch();
        try
        {
            var universal = Path.Combine(directory, ModelNames.CheckpointFile);
            File.WriteAllText(universal, content);

            var set = ModelFixtures.Loader().Load(directory, 1);

            var error = Assert.Single(set.Errors);
            Assert.Equal(ModelNames.Universal, error.Name);
            Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
            Assert.Equal(3, set.Models.Count);
            set.Dispose();
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void AStateDictOfAnotherArchitectureIsRefusedWithTheMismatchedKeys()
    {
        using var other = nn.Sequential(("feature_extractor", nn.Sequential(nn.Linear(43, 256))));
        var path = Path.Combine(_scratch, ModelNames.CheckpointFile);
        other.save_py(path);

        var error = Assert.Throws<ModelLoadException>(() => ModelFixtures.Loader().LoadOne(ModelNames.Universal, path));

        Assert.Equal(path, error.Path);
        Assert.Contains("missing ", error.Reason, StringComparison.Ordinal);
        Assert.Contains("actor.0.weight", error.Reason, StringComparison.Ordinal);
    }
}
