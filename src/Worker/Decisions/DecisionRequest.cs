using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Engine.Regimes;
using Inference.Streaming.Engine.Risk;
using Inference.Streaming.Worker.Fleet;
using Inference.Streaming.Worker.Publishing;
using Inference.Streaming.Worker.State;

namespace Inference.Streaming.Worker.Decisions;

/// <summary>A closed bar waiting for its decision.</summary>
public sealed class DecisionRequest
{
    public required SymbolState Symbol { get; init; }

    /// <summary>The input partition's state the bar was closed in.</summary>
    public required PartitionState Partition { get; init; }

    public required Bar Bar { get; init; }

    public required float[] Features { get; init; }

    public required RegimeState Regime { get; init; }

    /// <summary>The detector that computed <see cref="Regime"/> on this bar; null when it came from
    /// <c>regime-updates</c>.</summary>
    public RegimeDetectorInfo? RegimeDetector { get; init; }

    public required SpecialistWeights Weights { get; init; }

    public required SelectionStrategy Strategy { get; init; }

    public required RowPlan Plan { get; init; }

    /// <summary>The arm whose models decide this bar live: the challenger for its symbols in an A/B experiment,
    /// otherwise the champion.</summary>
    public ModelRole Arm { get; init; }

    /// <summary>The challenger's view of this bar in a shadow experiment; null otherwise.</summary>
    public ShadowRequest? Shadow { get; init; }

    /// <summary>The book the concentration check sees for this decision (alone unless Risk:Sectors maps the
    /// symbol): at the bar's close, what the positions table held; at the decision, the book as of the boundary
    /// before the bar (<see cref="BookGate"/>).</summary>
    public SectorBook Book { get; set; }

    /// <summary>The positions behind <see cref="Book"/>, for the forensics record; null when the symbol is not
    /// mapped.</summary>
    public BookView? BookView { get; set; }

    /// <summary>The input partitions whose positions had not arrived when <c>Risk:BookAlignmentTimeout</c> let this
    /// bar go ahead; null when nothing was missing.</summary>
    public List<int>? BookMissing { get; set; }

    /// <summary>Position of the record that closed the bar.</summary>
    public required InputPosition Input { get; init; }

    /// <summary><see cref="TimeProvider.GetTimestamp"/> when that record was consumed.</summary>
    public required long ConsumedAt { get; init; }

    public long EnqueuedAt { get; set; }

    /// <summary>Timestamps of the later stages (<see cref="TimeProvider.GetTimestamp"/>): the batch's forward began and
    /// ended, the records were handed to the producer.</summary>
    public long BatchStartedAt { get; set; }

    public long ForwardDoneAt { get; set; }

    public long PublishedAt { get; set; }

    public string? TraceParent { get; init; }

    /// <summary>The decision's producer span, stopped once the records are handed to the producer.</summary>
    public System.Diagnostics.Activity? Activity { get; init; }

    /// <summary>
    /// The input record that owes this decision. The request holds it open from the moment the bar closes
    /// (<see cref="Hold"/>) until the decision stage has announced what it produces for it (<see cref="Resolve"/>);
    /// the outputs themselves are announced and completed by their publishers.
    /// </summary>
    public required IOutputTracker Source { get; init; }

    private int _resolved;

    /// <summary>Holds <paramref name="source"/> open for a request about to be made from it.</summary>
    public static IOutputTracker Hold(IOutputTracker source)
    {
        source.AddPending(1);
        return source;
    }

    /// <summary>The decision stage is done with the request (published, dead-lettered or dropped): its hold on the
    /// input ends. Only the first call counts.</summary>
    public void Resolve()
    {
        if (Interlocked.Exchange(ref _resolved, 1) == 0)
        {
            Source.Complete();
        }
    }

    /// <summary>The action published for the bar, for the ingest thread to apply to the portfolio.</summary>
    public TaskCompletionSource<TradeAction> Completion { get; } =
        new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>
/// What the challenger sees of a bar in a shadow experiment: the observation computed from its own paper
/// portfolio (the indicators are the champion's, the market is one), that portfolio for the risk checks, and
/// the book: the challenger's own position with the live book's peers.
/// </summary>
public sealed class ShadowRequest
{
    public required float[] Features { get; init; }

    public required PaperPortfolio Portfolio { get; init; }

    public SectorBook Book { get; set; }

    /// <summary>The shadow action, for the ingest thread to apply to the shadow portfolio; faulted when the
    /// challenger could not decide.</summary>
    public TaskCompletionSource<TradeAction> Completion { get; } =
        new(TaskCreationOptions.RunContinuationsAsynchronously);
}
