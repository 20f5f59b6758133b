using static TorchSharp.torch;

namespace Inference.Streaming.Engine.Inference;

/// <summary>
/// Path attributions of the chosen action's final probability with respect to the observation. For a mixture the
/// target is the weighted mixture, so attributions add up across specialists.
/// <list type="bullet">
/// <item><see cref="Explain"/>: integrated gradients (Sundararajan et al., 2017, https://arxiv.org/abs/1703.01365)
/// against the all-zero observation, with a midpoint Riemann sum over <c>steps</c> points of the straight path.
/// Attributions sum to f(x) − f(0) up to the integration error.</item>
/// <item><see cref="ExplainExpected"/>: expected gradients (Erion et al., 2021, https://arxiv.org/abs/1906.10670;
/// SHAP's <c>GradientExplainer</c>): integrated gradients averaged over baselines from the model set's background
/// set (<see cref="BackgroundSet"/>). Attributions sum to f(x) − E[f(background)], up to the integration error and,
/// when the background has more rows than are drawn, the sampling error.</item>
/// </list>
/// Either way the result carries the gap, so a caller sees how complete the attributions are.
/// </summary>
public static class IntegratedGradients
{
    public const string Method = "integrated_gradients";
    public const string ExpectedMethod = "expected_gradients";
    public const string Baseline = "zeros: the all-zero observation";
    public const int DefaultSteps = 64;

    /// <summary>Baselines drawn from the background set; a smaller set is used whole.</summary>
    public const int DefaultBaselines = 128;

    /// <summary>Midpoint steps on each baseline's path for expected gradients.</summary>
    public const int DefaultExpectedSteps = 32;

    /// <summary>Attributions per feature; the target at the input and at the baseline (for expected gradients the
    /// mean of the target over the whole background set); midpoint steps per path and the baselines averaged over (1
    /// for integrated gradients).</summary>
    public sealed record Result(
        double[] Attributions,
        double Output,
        double BaselineOutput,
        int Steps,
        int Baselines = 1
    )
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
        var contributors = Contributors(set, plan, decidedBy);
        using var scope = NewDisposeScope();
        var x = Input(contributors, features);
        var baseline = zeros_like(x);
        var attributions = PathAttributions(contributors, x, baseline, steps, action);
        return new Result(
            attributions,
            Probabilities(contributors, x, action)[0],
            Probabilities(contributors, baseline, action)[0],
            steps
        );
    }

    /// <summary>Expected gradients against <paramref name="set"/>'s background set: all its rows when it has at most
    /// <paramref name="baselines"/>, otherwise that many drawn without replacement by a fixed seed, so the same input
    /// gets the same explanation.</summary>
    /// <exception cref="InvalidOperationException">The set has no background set.</exception>
    public static Result ExplainExpected(
        ModelSet set,
        ReadOnlySpan<float> features,
        RowPlan plan,
        string decidedBy,
        int action,
        int baselines = DefaultBaselines,
        int steps = DefaultExpectedSteps
    )
    {
        var background =
            set.Background
            ?? throw new InvalidOperationException(
                $"the model set has no {BackgroundSet.FileName}, so expected gradients have no baseline distribution"
            );
        var contributors = Contributors(set, plan, decidedBy);
        var width = features.Length;
        var drawn = Draw(background.Count, baselines);
        using var scope = NewDisposeScope();
        var x = Input(contributors, features);
        var all = tensor(background.Rows, [background.Count, width]).to(x.dtype).to(x.device);
        var chosen = all.index_select(0, tensor(drawn, device: x.device));
        var attributions = PathAttributions(contributors, x, chosen, steps, action);
        return new Result(
            attributions,
            Probabilities(contributors, x, action)[0],
            Probabilities(contributors, all, action).Average(),
            steps,
            drawn.Length
        );
    }

    private static long[] Draw(int count, int wanted)
    {
        if (count <= wanted)
        {
            return [.. Enumerable.Range(0, count).Select(i => (long)i)];
        }

        var indices = Enumerable.Range(0, count).ToArray();
        new Random(20261206).Shuffle(indices);
        return [.. indices.Take(wanted).Order().Select(i => (long)i)];
    }

    // Mean over the baselines b of (x − b) · (mean gradient of the target on the midpoints of the path b → x).
    private static double[] PathAttributions(
        (LoadedModel Model, double Weight)[] contributors,
        Tensor x,
        Tensor baselines,
        int steps,
        int action
    )
    {
        using var grad = enable_grad();
        var count = baselines.shape[0];
        var width = x.shape[1];
        var alphas = ((arange(steps, x.dtype, x.device) + 0.5) / steps).reshape(1, steps, 1);
        var delta = (x - baselines).unsqueeze(1); // [B, 1, W]
        var path = (baselines.unsqueeze(1) + (alphas * delta))
            .reshape(count * steps, width)
            .detach()
            .requires_grad_(true);
        var target = zeros(count * steps, x.dtype, x.device);
        foreach (var (model, weight) in contributors)
        {
            var (probabilities, _) = model.Network.call(path);
            target += probabilities[.., action] * weight;
        }

        var gradients = autograd.grad([target.sum()], [path])[0].reshape(count, steps, width).mean([1]);
        return (delta.squeeze(1) * gradients).mean([0]).cpu().to(ScalarType.Float64).data<double>().ToArray();
    }

    private static (LoadedModel Model, double Weight)[] Contributors(ModelSet set, RowPlan plan, string decidedBy) =>
        decidedBy == "mixture"
            ? Normalised([
                .. ModelNames.Specialists.Where(set.Models.ContainsKey).Select(n => (set.Models[n], plan.WeightOf(n))),
            ])
            : [(set.Models[decidedBy], 1.0)];

    private static Tensor Input((LoadedModel Model, double Weight)[] contributors, ReadOnlySpan<float> features) =>
        tensor(features.ToArray(), [1, features.Length])
            .to(contributors[0].Model.ComputeType)
            .to(contributors[0].Model.Device);

    private static double[] Probabilities((LoadedModel Model, double Weight)[] contributors, Tensor input, int action)
    {
        using var mode = no_grad();
        var total = new double[input.shape[0]];
        foreach (var (model, weight) in contributors)
        {
            var (probabilities, _) = model.Network.call(input);
            var column = probabilities[.., action].cpu().to(ScalarType.Float64).data<double>().ToArray();
            for (var i = 0; i < total.Length; i++)
            {
                total[i] += weight * column[i];
            }
        }

        return total;
    }

    private static (LoadedModel Model, double Weight)[] Normalised((LoadedModel Model, double Weight)[] contributors)
    {
        var total = contributors.Sum(c => c.Weight);
        return [.. contributors.Select(c => (c.Model, total > 0 ? c.Weight / total : 1.0 / contributors.Length))];
    }
}
