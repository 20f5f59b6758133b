using static TorchSharp.torch;

namespace Inference.Streaming.Engine.Inference;

/// <summary>
/// Integrated gradients (Sundararajan et al., 2017, https://arxiv.org/abs/1703.01365) of the chosen
/// action's final probability with respect to the observation, against the all-zero observation
/// as baseline, with a midpoint Riemann sum over <c>steps</c> points of the straight path. For a
/// mixture the target is the weighted mixture, so attributions add up across specialists.
/// Attributions sum to f(x) − f(baseline) up to the integration error, reported as the gap.
/// </summary>
public static class IntegratedGradients
{
    public const string Method = "integrated_gradients";
    public const string Baseline = "zeros: the all-zero observation";
    public const int DefaultSteps = 64;

    public sealed record Result(double[] Attributions, double Output, double BaselineOutput, int Steps)
    {
        public double CompletenessGap => Attributions.Sum() - (Output - BaselineOutput);
    }

    public static Result Explain(
        ModelSet set,
        ReadOnlySpan<float> features,
        RowPlan plan,
        string decidedBy,
        int action,
        int steps = DefaultSteps
    )
    {
        var contributors =
            decidedBy == "mixture"
                ? Normalised([
                    .. ModelNames
                        .Specialists.Where(set.Models.ContainsKey)
                        .Select(n => (set.Models[n], plan.WeightOf(n))),
                ])
                : [(set.Models[decidedBy], 1.0)];
        var width = features.Length;
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var type = contributors[0].Model.ComputeType;
        var device = contributors[0].Model.Device;
        var x = tensor(features.ToArray(), [1, width]).to(type).to(device);
        var baseline = zeros_like(x);
        var alphas = ((arange(steps, type, device) + 0.5) / steps).unsqueeze(1);
        var path = (baseline + (alphas * (x - baseline))).detach().requires_grad_(true);

        var target = zeros(steps, type, device);
        foreach (var (model, weight) in contributors)
        {
            var (probabilities, _) = model.Network.call(path);
            target += probabilities[.., action] * weight;
        }

        var gradients = autograd.grad([target.sum()], [path])[0];
        var attributions = ((x - baseline)[0] * gradients.mean([0]))
            .cpu()
            .to(ScalarType.Float64)
            .data<double>()
            .ToArray();
        return new Result(
            attributions,
            Probability(contributors, x, action),
            Probability(contributors, baseline, action),
            steps
        );
    }

    private static double Probability((LoadedModel Model, double Weight)[] contributors, Tensor input, int action)
    {
        using var mode = no_grad();
        var total = 0.0;
        foreach (var (model, weight) in contributors)
        {
            var (probabilities, _) = model.Network.call(input);
            total += weight * probabilities[0, action].cpu().to(ScalarType.Float64).item<double>();
        }

        return total;
    }

    private static (LoadedModel Model, double Weight)[] Normalised((LoadedModel Model, double Weight)[] contributors)
    {
        var total = contributors.Sum(c => c.Weight);
        return [.. contributors.Select(c => (c.Model, total > 0 ? c.Weight / total : 1.0 / contributors.Length))];
    }
}
