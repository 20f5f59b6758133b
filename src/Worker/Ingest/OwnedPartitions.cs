using Inference.Streaming.Engine.Features;
using Inference.Streaming.Worker.Diagnostics;
using Inference.Streaming.Worker.Fleet;
using Inference.Streaming.Worker.Publishing;
using Inference.Streaming.Worker.State;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Ingest;

/// <summary>
/// The partitions this worker owns and the symbols in them: assignment, restore and revocation, and the symbol
/// lifecycle (admission under <c>Features:MaxSymbols</c>, eviction after <c>Features:SymbolIdleTimeout</c>). A
/// symbol that leaves leaves the REST directory and the experiment's P&amp;L with it. Ingest thread only.
/// </summary>
public sealed class OwnedPartitions
{
    private readonly Dictionary<int, PartitionState> _partitions = [];
    private readonly IObservationSink _directory;
    private readonly IBarExperiment _experiment;
    private readonly PipelineMetrics _metrics;
    private readonly PositionsBook _book;
    private readonly IPositionsSink _positions;
    private readonly ILogger<OwnedPartitions> _logger;
    private readonly long _barMs;
    private readonly double _initialCapital;
    private readonly int _maxSymbols;
    private readonly long _idleMs;
    private int _symbolCount;

    public OwnedPartitions(
        IOptions<FeatureOptions> features,
        IObservationSink directory,
        IBarExperiment experiment,
        PipelineMetrics metrics,
        PositionsBook book,
        IPositionsSink positions,
        ILogger<OwnedPartitions> logger
    )
    {
        (_directory, _experiment, _metrics, _book, _positions, _logger) = (
            directory,
            experiment,
            metrics,
            book,
            positions,
            logger
        );
        _barMs = (long)features.Value.BarInterval.TotalMilliseconds;
        _initialCapital = features.Value.InitialCapital;
        _maxSymbols = features.Value.MaxSymbols;
        _idleMs = (long)features.Value.SymbolIdleTimeout.TotalMilliseconds;
    }

    /// <summary>The state of the partitions this worker owns, by partition number.</summary>
    public IReadOnlyDictionary<int, PartitionState> Partitions => _partitions;

    /// <summary>The partition's state, created empty when it is not held yet.</summary>
    public PartitionState this[int partition]
    {
        get
        {
            Assign([partition]);
            return _partitions[partition];
        }
    }

    public void Assign(IEnumerable<int> partitions)
    {
        foreach (var partition in partitions)
        {
            if (!_partitions.ContainsKey(partition))
            {
                _partitions[partition] = new PartitionState(partition, _barMs, _initialCapital);
            }
        }
    }

    /// <summary>Installs a restored partition, replacing any state held for it.</summary>
    public void Install(PartitionState partition)
    {
        _partitions[partition.Partition] = partition;
        Recount();
    }

    public void Revoke(IEnumerable<int> partitions)
    {
        var revoked = partitions.ToList();
        foreach (var partition in revoked)
        {
            // Another worker decides these symbols now.
            if (_partitions.Remove(partition, out var state))
            {
                state.Revoked = true;
                foreach (var symbol in state.Symbols.Keys)
                {
                    _experiment.Forget(symbol);
                }
            }
        }

        _directory.RemovePartitions(revoked);
        Recount();
    }

    /// <summary>Evicts every partition's idle symbols (at checkpoints; a returning symbol would start fresh
    /// anyway).</summary>
    public void EvictIdle()
    {
        foreach (var partition in _partitions.Values)
        {
            var evicted = partition.EvictIdle(_idleMs);
            if (evicted.Count > 0)
            {
                foreach (var symbol in evicted)
                {
                    Left(symbol.Symbol, partition.Partition);
                }

                _metrics.SymbolsEvicted(evicted.Count);
                IngestLog.SymbolsEvicted(_logger, evicted.Count, partition.Partition);
            }
        }

        Recount();
    }

    /// <summary>
    /// The symbol's state, or null when it has none, including when it has been idle past
    /// <c>Features:SymbolIdleTimeout</c>: then it is evicted here and starts fresh, exactly as if a checkpoint had
    /// evicted it already, so restarts do not change what it decides.
    /// </summary>
    public SymbolState? Live(PartitionState partition, string symbol)
    {
        if (!partition.Symbols.TryGetValue(symbol, out var state))
        {
            return null;
        }

        if (!partition.IsIdle(state, _idleMs))
        {
            return state;
        }

        partition.Evict(state);
        Left(symbol, partition.Partition);
        _metrics.SymbolsEvicted(1);
        _symbolCount--;
        return null;
    }

    /// <summary>A new symbol's state; null, with the reason it is dead-lettered (<c>symbol-limit</c>), when the
    /// worker already holds <c>Features:MaxSymbols</c>.</summary>
    public SymbolState? Admit(PartitionState partition, string symbol, out Rejection refused)
    {
        refused = default;
        if (_symbolCount >= _maxSymbols)
        {
            refused = new Rejection(
                DeadLetterReasons.SymbolLimit,
                $"new symbol {symbol}: this worker already holds {_symbolCount} symbols (Features:MaxSymbols)"
            );
            return null;
        }

        _symbolCount++;
        _metrics.LiveSymbols(_symbolCount);
        return partition.GetOrAdd(symbol);
    }

    private void Left(string symbol, int partition)
    {
        _directory.Remove(symbol);
        _experiment.Forget(symbol);
        if (_book.Enabled && _book.SectorOf(symbol) is not null)
        {
            _positions.Evicted(partition, symbol);
        }
    }

    private void Recount()
    {
        _symbolCount = 0;
        foreach (var partition in _partitions.Values)
        {
            _symbolCount += partition.Symbols.Count;
        }

        _metrics.LiveSymbols(_symbolCount);
    }
}
