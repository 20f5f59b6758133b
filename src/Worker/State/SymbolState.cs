using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Risk;

namespace Inference.Streaming.Worker.State;

/// <summary>
/// What the stream keeps for one symbol: its features and portfolio (<see cref="SymbolFeatures"/>)
/// and the stream's bookkeeping for them: the book entry its sector's risk check sees, whether it
/// changed since the last checkpoint, and the decision in flight. Owned by the ingest thread.
/// </summary>
public sealed class SymbolState(string symbol, long barIntervalMs, double initialCapital)
    : SymbolFeatures(symbol, barIntervalMs, initialCapital)
{
    /// <summary>
    /// What the symbol adds to its partition's book when <c>Risk:Sectors</c> maps it: its portfolio at
    /// its latest closed bar, before that bar's decision. Written on the ingest thread at each close
    /// (<see cref="PartitionState.EnterBook"/>) and kept in the changelog.
    /// </summary>
    public BookEntry? Book { get; set; }

    /// <summary>Changed since the last checkpoint.</summary>
    public bool Dirty { get; set; }

    /// <summary>Wall-clock time (Unix ms) of this symbol's newest snapshot in the changelog; <see cref="long.MinValue"/> before the first.</summary>
    public long SnapshotAtMs { get; set; } = long.MinValue;

    /// <summary>Completes when the last decision has been applied to the portfolio.</summary>
    public Task PendingDecision { get; set; } = Task.CompletedTask;
}
