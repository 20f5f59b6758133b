using Inference.Streaming.Engine.Inference;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Engine.UnitTests.Inference;

/// <summary>
/// The PyTorch fixtures on CUDA. Runs where a CUDA PyTorch installation is named by
/// <c>INFERENCE_LIBTORCH_DIR</c> (its <c>torch/lib</c> folder) and a GPU is visible; skips with the
/// reason elsewhere. TorchSharp-cpu alone never sees a GPU.
/// </summary>
public sealed class CudaFixtureTests
{
    [SkippableFact]
    public void TheFixturesMatchPyTorchOnCuda()
    {
        var libTorch = Environment.GetEnvironmentVariable("INFERENCE_LIBTORCH_DIR");
        Skip.If(
            string.IsNullOrEmpty(libTorch),
            "INFERENCE_LIBTORCH_DIR is not set: no CUDA PyTorch installation to load libtorch from"
        );
        TorchDevice device;
        try
        {
            device = new TorchDevice(
                Options.Create(new InferenceOptions { Device = "cuda", LibTorchDirectory = libTorch })
            );
        }
        catch (InvalidOperationException ex)
        {
            throw new SkipException("no CUDA device: " + ex.Message);
        }

        var loader = new ModelDirectoryLoader(device, TimeProvider.System);
        foreach (var name in ModelNames.All)
        {
            var reference = ModelFixtures.ReferenceOf(name);
            using var model = loader.LoadOne(name, ModelFixtures.CheckpointOf(name));
            var set = new ModelSet(
                1,
                ModelFixtures.Directory,
                new Dictionary<string, LoadedModel> { [name] = model },
                []
            );
            var results = InferenceEngine.Run(
                set,
                reference.Flat(),
                43,
                Enumerable.Repeat(RowPlan.ForModel(name), reference.Inputs.Length).ToArray()
            );

            var maxDiff = results
                .SelectMany((r, i) => r.Probabilities.Select((p, a) => Math.Abs(p - reference.Probs[i][a])))
                .Max();
            Assert.Equal("cuda", model.Info.Device);
            Assert.InRange(maxDiff, 0, 1e-5);
        }
    }
}
