using Inference.Streaming.Engine.Inference;

namespace Inference.Streaming.Engine.UnitTests.Inference;

public sealed class InferenceEngineTests : IDisposable
{
    private readonly ModelSet _set = ModelFixtures.Loader().Load(ModelFixtures.Directory, 1);
    private readonly ModelFixtures.Reference _reference = ModelFixtures.ReferenceOf(ModelNames.Universal);

    public void Dispose() => _set.Dispose();

    [Fact]
    public void AMixtureIsTheWeightedAverageOfTheSpecialists()
    {
        var rows = _reference.Inputs.Length;
        var features = _reference.Flat();
        var mixture = InferenceEngine.Run(
            _set,
            features,
            43,
            Enumerable.Repeat(RowPlan.Mixture(0.5, 0.3, 0.2), rows).ToArray()
        );
        var bull = InferenceEngine.Run(
            _set,
            features,
            43,
            Enumerable.Repeat(RowPlan.ForModel(ModelNames.Bull), rows).ToArray()
        );
        var bear = InferenceEngine.Run(
            _set,
            features,
            43,
            Enumerable.Repeat(RowPlan.ForModel(ModelNames.Bear), rows).ToArray()
        );
        var sideways = InferenceEngine.Run(
            _set,
            features,
            43,
            Enumerable.Repeat(RowPlan.ForModel(ModelNames.Sideways), rows).ToArray()
        );

        for (var r = 0; r < rows; r++)
        {
            Assert.Equal("mixture", mixture[r].DecidedBy);
            Assert.Equal(3, mixture[r].Outputs.Count);
            for (var a = 0; a < 3; a++)
            {
                var expected =
                    (0.5 * bull[r].Probabilities[a])
                    + (0.3 * bear[r].Probabilities[a])
                    + (0.2 * sideways[r].Probabilities[a]);
                Assert.Equal(expected, mixture[r].Probabilities[a], 12);
            }

            Assert.Equal(1.0, mixture[r].Probabilities.Sum(), 6);
        }
    }

    [Fact]
    public void RowsInOneBatchScoreExactlyAsTheyDoAlone()
    {
        var rows = _reference.Inputs.Length;
        var plans = Enumerable
            .Range(0, rows)
            .Select(r =>
                (r % 3) switch
                {
                    0 => RowPlan.ForModel(ModelNames.Bear),
                    1 => RowPlan.Mixture(0.2, 0.2, 0.6),
                    _ => RowPlan.ForModel(ModelNames.Universal),
                }
            )
            .ToArray();

        var batch = InferenceEngine.Run(_set, _reference.Flat(), 43, plans);

        for (var r = 0; r < rows; r += 7)
        {
            var alone = InferenceEngine.Run(_set, _reference.Inputs[r], 43, [plans[r]])[0];
            Assert.Equal(alone.DecidedBy, batch[r].DecidedBy);
            for (var a = 0; a < 3; a++)
            {
                Assert.Equal(alone.Probabilities[a], batch[r].Probabilities[a]);
            }
        }
    }

    [Fact]
    public void AMissingSpecialistFallsBackToUniversal()
    {
        var partial = new ModelSet(
            2,
            "x",
            new Dictionary<string, LoadedModel> { [ModelNames.Universal] = _set.Models[ModelNames.Universal] },
            []
        );

        var result = InferenceEngine.Run(
            partial,
            [.. _reference.Inputs[0], .. _reference.Inputs[0]],
            43,
            [RowPlan.ForModel(ModelNames.Bull), RowPlan.Mixture(1, 1, 1)]
        );

        Assert.All(result, r => Assert.Equal(ModelNames.Universal, r.DecidedBy));
        Assert.InRange(Math.Abs(result[0].Probabilities[1] - _reference.Probs[0][1]), 0, 1e-6);
    }

    [Fact]
    public void WithNoUsableModelTheCallFailsWithModelsNotReady()
    {
        var empty = new ModelSet(3, "x", new Dictionary<string, LoadedModel>(), []);

        Assert.Throws<ModelsNotReadyException>(() =>
            InferenceEngine.Run(empty, _reference.Inputs[0], 43, [RowPlan.ForModel(ModelNames.Bull)])
        );
    }

    [Fact]
    public void RowsOfTheWrongWidthAreRejected() =>
        Assert.Throws<ArgumentException>(() =>
            InferenceEngine.Run(_set, new float[40], 43, [RowPlan.ForModel(ModelNames.Bull)])
        );

    [Fact]
    public void InFloat32BatchingChangesTheLastBitsWhichIsWhyFloat64IsTheDefault()
    {
        var set = ModelFixtures.Float32Loader().Load(ModelFixtures.Directory, 9);
        try
        {
            var rows = _reference.Inputs.Length;
            var plans = Enumerable.Repeat(RowPlan.ForModel(ModelNames.Universal), rows).ToArray();
            var batch = InferenceEngine.Run(set, _reference.Flat(), 43, plans);
            var differing = Enumerable
                .Range(0, rows)
                .Count(r =>
                    !InferenceEngine
                        .Run(set, _reference.Inputs[r], 43, [plans[r]])[0]
                        .Probabilities.SequenceEqual(batch[r].Probabilities)
                );

            // Documents the hazard the float64 default removes; if a libtorch build ever makes float32
            // batch-invariant this fails, and the default can be revisited.
            Assert.True(differing > 0, "float32 results did not depend on the batch");
        }
        finally
        {
            set.Dispose();
        }
    }
}
