using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Regimes;
using Inference.Streaming.Engine.Risk;

namespace Inference.Streaming.Worker.State;

/// <summary>
/// What the stream decided a closed bar from, frozen for the REST path: the observation row, the
/// regime, and the paper portfolio as the observation saw it (before that bar's decision).
/// </summary>
public sealed record ObservationSnapshot(
    string Symbol,
    int Partition,
    Bar Bar,
    float[] Features,
    RegimeState Regime,
    double Cash,
    double Shares,
    double InitialCapital,
    long Day,
    double DayOpenValue
)
{
    /// <summary>The book the stream's concentration check saw for this bar; REST checks against the same.</summary>
    public SectorBook Book { get; init; }

    /// <summary>The instance that decided the bar (its partition's owner then); <c>metadata.served_by</c>.</summary>
    public string? Instance { get; init; }

    public PaperPortfolio Portfolio()
    {
        var portfolio = new PaperPortfolio(InitialCapital);
        portfolio.Restore(InitialCapital, Cash, Shares, Day, DayOpenValue);
        return portfolio;
    }
}
