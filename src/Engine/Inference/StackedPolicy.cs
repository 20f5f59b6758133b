using static TorchSharp.torch;

namespace Inference.Streaming.Engine.Inference;

/// <summary>
/// Several <see cref="PolicyNetwork"/>s of one shape run as one forward: each layer's weights stacked along a
/// leading model axis, so a layer of every model is one batched matrix product (<c>baddbmm</c>) instead of one
/// matrix product per model. The actor's and critic's first layers are one product too (their weights side by
/// side). The stack copies the weights once, when it is built; it is read-only afterwards and safe for concurrent
/// callers.
/// </summary>
public sealed class StackedPolicy : IDisposable
{
    private const double LayerNormEpsilon = 1e-5;

    private readonly Tensor _inWeight;
    private readonly Tensor _inBias;
    private readonly Tensor _norm1Weight;
    private readonly Tensor _norm1Bias;
    private readonly Tensor _hiddenWeight;
    private readonly Tensor _hiddenBias;
    private readonly Tensor _norm2Weight;
    private readonly Tensor _norm2Bias;
    private readonly Tensor _headWeight;
    private readonly Tensor _headBias;
    private readonly Tensor _actorWeight;
    private readonly Tensor _actorBias;
    private readonly Tensor _criticWeight;
    private readonly Tensor _criticBias;
    private long _forwards;

    public StackedPolicy(IReadOnlyList<PolicyNetwork> networks)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(networks.Count, 1);
        InputWidth = networks[0].InputWidth;
        if (networks.Any(n => n.InputWidth != InputWidth))
        {
            throw new ArgumentException("Stacked networks must take the same number of features.", nameof(networks));
        }

        Count = networks.Count;
        var all = networks.Select(n => n.named_parameters().ToDictionary(p => p.name, p => p.parameter)).ToList();
        // The intermediates go with this scope; the stacked weights are detached from every scope (a caller's
        // included): the set that keeps the stack disposes them.
        using var scope = NewDisposeScope();
        using (no_grad())
        {
            // Linear keeps [out, in]; a batched product wants [in, out], with the bias broadcast over the rows.
            Tensor Weights(string key) => stack(all.Select(p => p[key].t()).ToArray()).contiguous();
            Tensor Row(string key) => stack(all.Select(p => p[key].unsqueeze(0)).ToArray()).contiguous();
            Tensor Both(string actor, string critic, Func<string, Tensor> get) => cat([get(actor), get(critic)], -1);

            _inWeight = Weights("feature_extractor.0.weight").DetachFromDisposeScope();
            _inBias = Row("feature_extractor.0.bias").DetachFromDisposeScope();
            _norm1Weight = Row("feature_extractor.2.weight").DetachFromDisposeScope();
            _norm1Bias = Row("feature_extractor.2.bias").DetachFromDisposeScope();
            _hiddenWeight = Weights("feature_extractor.3.weight").DetachFromDisposeScope();
            _hiddenBias = Row("feature_extractor.3.bias").DetachFromDisposeScope();
            _norm2Weight = Row("feature_extractor.5.weight").DetachFromDisposeScope();
            _norm2Bias = Row("feature_extractor.5.bias").DetachFromDisposeScope();
            _headWeight = Both("actor.0.weight", "critic.0.weight", Weights).contiguous().DetachFromDisposeScope();
            _headBias = Both("actor.0.bias", "critic.0.bias", Row).contiguous().DetachFromDisposeScope();
            _actorWeight = Weights("actor.2.weight").DetachFromDisposeScope();
            _actorBias = Row("actor.2.bias").DetachFromDisposeScope();
            _criticWeight = Weights("critic.2.weight").DetachFromDisposeScope();
            _criticBias = Row("critic.2.bias").DetachFromDisposeScope();
        }
    }

    /// <summary>How many networks the stack holds (the leading axis of its input).</summary>
    public int Count { get; }

    public int InputWidth { get; }

    /// <summary>Forwards that completed (a stack whose forward throws is run apart instead).</summary>
    internal long Forwards => Interlocked.Read(ref _forwards);

    /// <summary>
    /// Input [models, rows, features] on the stack's device and type: row r of model m is scored by model m.
    /// Returns probabilities [models, rows, 3] and values [models, rows, 1], in the caller's dispose scope.
    /// </summary>
    public (Tensor Probabilities, Tensor Value) Forward(Tensor input)
    {
        var hidden = input.baddbmm(_inWeight, _inBias).relu_();
        hidden = Normalise(hidden, _norm1Weight, _norm1Bias);
        hidden = hidden.baddbmm(_hiddenWeight, _hiddenBias).relu_();
        hidden = Normalise(hidden, _norm2Weight, _norm2Bias);
        var heads = hidden.baddbmm(_headWeight, _headBias).relu_();
        var actor = heads[.., .., ..PolicyNetwork.Head];
        var critic = heads[.., .., PolicyNetwork.Head..];
        var probabilities = actor.baddbmm(_actorWeight, _actorBias).softmax(-1);
        var value = critic.baddbmm(_criticWeight, _criticBias);
        Interlocked.Increment(ref _forwards);
        return (probabilities, value);
    }

    private static Tensor Normalise(Tensor hidden, Tensor weight, Tensor bias) =>
        nn.functional.layer_norm(hidden, [PolicyNetwork.Hidden], eps: LayerNormEpsilon).mul_(weight).add_(bias);

    public void Dispose()
    {
        foreach (
            var tensor in new[]
            {
                _inWeight,
                _inBias,
                _norm1Weight,
                _norm1Bias,
                _hiddenWeight,
                _hiddenBias,
                _norm2Weight,
                _norm2Bias,
                _headWeight,
                _headBias,
                _actorWeight,
                _actorBias,
                _criticWeight,
                _criticBias,
            }
        )
        {
            tensor.Dispose();
        }
    }
}
