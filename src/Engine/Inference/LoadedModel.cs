using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Inference.Streaming.Engine.Inference;

/// <summary>A network with its weights on its device, and what it reports.</summary>
public sealed class LoadedModel(
    ModelInfo info,
    Module<Tensor, (Tensor Probabilities, Tensor Value)> network,
    Device device,
    ScalarType computeType = ScalarType.Float32
) : IDisposable
{
    public Device Device { get; } = device;

    public ScalarType ComputeType { get; } = computeType;

    public ModelInfo Info { get; } = info;

    /// <summary>The network: action probabilities [N, 3] and values [N, 1] for N rows.</summary>
    public Module<Tensor, (Tensor Probabilities, Tensor Value)> Network { get; } = network;

    /// <summary>The network when it is the seed's actor-critic (a checkpoint), which can be stacked; null for a
    /// TorchScript module.</summary>
    public PolicyNetwork? Seed => Network as PolicyNetwork;

    public void Dispose() => Network.Dispose();
}
