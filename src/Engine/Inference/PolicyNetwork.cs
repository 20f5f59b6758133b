using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Inference.Streaming.Engine.Inference;

/// <summary>
/// The seed's PPO actor-critic, with submodule names and indices identical to PyTorch's so that
/// state_dict keys match: <c>feature_extractor.{0,2,3,5}</c>, <c>actor.{0,2}</c>, <c>critic.{0,2}</c>.
/// </summary>
public sealed class PolicyNetwork : Module<Tensor, (Tensor Probabilities, Tensor Value)>
{
    public const int Hidden = 256;
    public const int Head = 128;
    public const int Actions = 3;

    private readonly Sequential feature_extractor;
    private readonly Sequential actor;
    private readonly Sequential critic;

    public PolicyNetwork(int inputWidth)
        : base(nameof(PolicyNetwork))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputWidth, 1);
        InputWidth = inputWidth;
        feature_extractor = Sequential(
            Linear(inputWidth, Hidden),
            ReLU(),
            LayerNorm(Hidden),
            Linear(Hidden, Hidden),
            ReLU(),
            LayerNorm(Hidden)
        );
        actor = Sequential(Linear(Hidden, Head), ReLU(), Linear(Head, Actions), Softmax(-1));
        critic = Sequential(Linear(Hidden, Head), ReLU(), Linear(Head, 1));
        RegisterComponents();
    }

    public int InputWidth { get; }

    /// <summary>Action probabilities [N, 3] (HOLD, BUY, SELL) and value estimates [N, 1].</summary>
    public override (Tensor Probabilities, Tensor Value) forward(Tensor input)
    {
        using var features = feature_extractor.call(input);
        return (actor.call(features), critic.call(features));
    }

    public long ParameterCount() => parameters().Sum(p => p.numel());

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            feature_extractor.Dispose();
            actor.Dispose();
            critic.Dispose();
        }

        base.Dispose(disposing);
    }
}
