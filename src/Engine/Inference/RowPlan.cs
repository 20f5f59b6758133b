namespace Inference.Streaming.Engine.Inference;

/// <summary>
/// How one row is scored: by one named model (argmax selection), or by the weighted mixture of
/// every loaded specialist (docs/design.md, Regimes and selection). A missing model falls back to <c>universal</c>.
/// </summary>
public readonly record struct RowPlan(string? Model, double BullWeight, double BearWeight, double SidewaysWeight)
{
    public bool IsMixture => Model is null;

    public static RowPlan ForModel(string model) => new(model, 0, 0, 0);

    public static RowPlan Mixture(double bull, double bear, double sideways) => new(null, bull, bear, sideways);

    public double WeightOf(string specialist) =>
        specialist switch
        {
            ModelNames.Bull => BullWeight,
            ModelNames.Bear => BearWeight,
            ModelNames.Sideways => SidewaysWeight,
            _ => 0,
        };
}
