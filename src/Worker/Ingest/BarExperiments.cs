using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Engine.Risk;
using Inference.Streaming.Worker.Decisions;
using Inference.Streaming.Worker.Experiments;
using Inference.Streaming.Worker.State;

namespace Inference.Streaming.Worker.Ingest;

/// <summary>
/// What an experiment adds where a bar closes and where a symbol leaves: the arm that decides it live, the
/// challenger's view of the bar in a shadow experiment, and each arm's paper P&amp;L. <see cref="NoExperiment"/> is
/// the version for none (and for the regime service, which decides nothing).
/// </summary>
public interface IBarExperiment
{
    /// <summary>The arm whose models decide <paramref name="symbol"/> live.</summary>
    ModelRole ArmFor(string symbol);

    /// <summary>The challenger's view of <paramref name="bar"/> in a shadow experiment; null otherwise.</summary>
    ShadowRequest? Shadow(SymbolState state, in Bar bar, SectorBook book);

    /// <summary>The bar closed at <paramref name="close"/>: marks each arm's paper P&amp;L.</summary>
    void Closed(SymbolState state, ModelRole arm, ShadowRequest? shadow, double close);

    /// <summary><paramref name="symbol"/> left this worker (revoked or evicted): its paper P&amp;L is no longer this
    /// worker's to report.</summary>
    void Forget(string symbol);
}

/// <summary>No experiment: the champion decides every symbol, and there is nothing to mark or forget.</summary>
public sealed class NoExperiment : IBarExperiment
{
    public static readonly NoExperiment Instance = new();

    public ModelRole ArmFor(string symbol) => ModelRole.Champion;

    public ShadowRequest? Shadow(SymbolState state, in Bar bar, SectorBook book) => null;

    public void Closed(SymbolState state, ModelRole arm, ShadowRequest? shadow, double close) { }

    public void Forget(string symbol) { }
}

/// <summary>The experiment <c>Experiments:Mode</c> runs (A/B or shadow), through
/// <see cref="ExperimentArms"/>.</summary>
public sealed class RunningExperiment(ExperimentArms arms) : IBarExperiment
{
    public ModelRole ArmFor(string symbol) => arms.LiveArm(symbol);

    public ShadowRequest? Shadow(SymbolState state, in Bar bar, SectorBook book) =>
        arms.Mode == ExperimentMode.Shadow
            ? new ShadowRequest
            {
                Features = state.ObserveShadow(bar),
                Portfolio = state.ShadowPortfolio!,
                Book = book,
            }
            : null;

    public void Closed(SymbolState state, ModelRole arm, ShadowRequest? shadow, double close)
    {
        arms.MarkPnl(ExperimentArms.Name(arm), state.Symbol, state.Portfolio, close);
        if (shadow is not null)
        {
            arms.MarkPnl(ExperimentArms.Challenger, state.Symbol, shadow.Portfolio, close);
        }
    }

    public void Forget(string symbol) => arms.Forget(symbol);
}
