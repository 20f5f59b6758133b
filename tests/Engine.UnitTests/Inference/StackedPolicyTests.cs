using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Tests;
using static TorchSharp.torch;

namespace Inference.Streaming.Engine.UnitTests.Inference;

/// <summary>
/// A stack of networks scores every row exactly as each network alone does, once both are rounded to float32 (the
/// engine's outputs): the PyTorch fixtures and the shipped models, eight networks in one stack and three.
/// </summary>
public sealed class StackedPolicyTests : IDisposable
{
    private readonly ModelSet _fixtures = ModelFixtures.Loader().Load(ModelFixtures.Directory, 1);
    private readonly ModelSet _shipped = ModelFixtures
        .Loader()
        .Load(System.IO.Path.Combine(RepositoryRoot.Path, "models"), 2);

    public void Dispose()
    {
        _fixtures.Dispose();
        _shipped.Dispose();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(32)]
    [InlineData(257)]
    public void EightNetworksStackedGiveEachNetworksOwnOutputs(int rows)
    {
        Assert.Empty(_shipped.Errors);
        var networks = ModelNames
            .All.Select(n => _fixtures.Models[n].Seed!)
            .Concat(ModelNames.All.Select(n => _shipped.Models[n].Seed!))
            .ToArray();
        AssertStackMatches(networks, Rows(rows, seed: rows));
    }

    [Fact]
    public void TheSpecialistsStackedGiveTheirOwnOutputsOnThePyTorchReferenceRows()
    {
        var reference = ModelFixtures.ReferenceOf(ModelNames.Bull);
        var networks = ModelNames.Specialists.Select(n => _fixtures.Models[n].Seed!).ToArray();
        AssertStackMatches(networks, reference.Flat());
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(false, 8)]
    [InlineData(true, 1)]
    [InlineData(true, 32)]
    public void TheEnginesStackedMixtureGivesEachSpecialistsOwnOutputs(bool shipped, int rows)
    {
        var set = shipped ? _shipped : _fixtures;
        var features = Rows(rows, seed: 100 + rows);

        var mixture = InferenceEngine.Run(
            set,
            features,
            43,
            Enumerable.Repeat(RowPlan.Mixture(0.5, 0.3, 0.2), rows).ToArray()
        );

        Assert.Equal(1, set.StackCount);
        foreach (var (name, index) in ModelNames.Specialists.Select((n, i) => (n, i)))
        {
            var alone = InferenceEngine.Run(
                set,
                features,
                43,
                Enumerable.Repeat(RowPlan.ForModel(name), rows).ToArray()
            );
            for (var r = 0; r < rows; r++)
            {
                var stacked = mixture[r].Outputs[index];
                var single = Assert.Single(alone[r].Outputs);
                Assert.Equal(name, stacked.Model);
                Assert.Equal(single.Probabilities, stacked.Probabilities);
                Assert.Equal(single.Value, stacked.Value);
            }
        }
    }

    [Fact]
    public void AStackFirstBuiltInsideACallersDisposeScopeOutlivesIt()
    {
        using var set = ModelFixtures.Loader().Load(ModelFixtures.Directory, 3);
        var features = Rows(4, seed: 9);
        var plans = Enumerable.Repeat(RowPlan.Mixture(0.2, 0.5, 0.3), 4).ToArray();
        RowResult[] first;
        using (NewDisposeScope())
        {
            first = InferenceEngine.Run(set, features, 43, plans);
        }

        var stack = set.StackOf([.. ModelNames.Specialists.Select(n => set.Models[n])]);
        var before = stack.Forwards;
        var again = InferenceEngine.Run(set, features, 43, plans);

        Assert.Equal(1, set.StackCount);
        Assert.Equal(before + 1, stack.Forwards);
        Assert.All(again, r => Assert.True(r.Succeeded, r.FailureDetail));
        Assert.Equal(first.Select(r => r.Probabilities), again.Select(r => r.Probabilities));
    }

    [Fact]
    public void NetworksOfDifferentWidthsAreNotStacked()
    {
        using var narrow = new PolicyNetwork(40);
        Assert.Throws<ArgumentException>(() => new StackedPolicy([_fixtures.Models[ModelNames.Bull].Seed!, narrow]));
    }

    private static float[] Rows(int rows, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, rows * 43).Select(_ => (float)((random.NextDouble() * 6) - 3))];
    }

    private static void AssertStackMatches(PolicyNetwork[] networks, float[] features)
    {
        var rows = features.Length / 43;
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        using var stack = new StackedPolicy(networks);
        var input = tensor(features, [rows, 43]).to(ScalarType.Float64);
        var (stackedProbabilities, stackedValues) = stack.Forward(
            input.unsqueeze(0).expand(networks.Length, rows, 43).contiguous()
        );
        var probabilities = stackedProbabilities.to(ScalarType.Float32).data<float>().ToArray();
        var values = stackedValues.to(ScalarType.Float32).data<float>().ToArray();
        Assert.Equal(networks.Length * rows * 3, probabilities.Length);
        for (var m = 0; m < networks.Length; m++)
        {
            var (p, v) = networks[m].call(input);
            var alone = p.to(ScalarType.Float32).data<float>().ToArray();
            var aloneValues = v.to(ScalarType.Float32).data<float>().ToArray();
            for (var i = 0; i < rows * 3; i++)
            {
                Assert.True(
                    BitConverter.SingleToInt32Bits(alone[i])
                        == BitConverter.SingleToInt32Bits(probabilities[(m * rows * 3) + i]),
                    $"network {m}, row {i / 3}, action {i % 3}: alone {alone[i]:R}, stacked "
                        + $"{probabilities[(m * rows * 3) + i]:R}"
                );
            }

            for (var r = 0; r < rows; r++)
            {
                Assert.True(
                    BitConverter.SingleToInt32Bits(aloneValues[r])
                        == BitConverter.SingleToInt32Bits(values[(m * rows) + r]),
                    $"network {m}, row {r}: value alone {aloneValues[r]:R}, stacked {values[(m * rows) + r]:R}"
                );
            }
        }
    }
}
