using static TorchSharp.torch;

namespace Inference.Streaming.Engine.Inference;

/// <summary>A network with its weights on its device, and what it reports.</summary>
public sealed class LoadedModel(
    ModelInfo info,
    PolicyNetwork network,
    Device device,
    ScalarType computeType = ScalarType.Float32
) : IDisposable
{
    public Device Device { get; } = device;

    public ScalarType ComputeType { get; } = computeType;

    public ModelInfo Info { get; } = info;

    public PolicyNetwork Network { get; } = network;

    public void Dispose() => Network.Dispose();
}
