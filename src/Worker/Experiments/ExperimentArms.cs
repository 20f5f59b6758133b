using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Text;
using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Inference;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.Experiments;

/// <summary>
/// Which arm decides a symbol, and how its records are marked. The A/B split is a pure function of
/// <c>Experiments:Id</c>, the symbol and <c>Experiments:ChallengerShare</c>: the first 8 bytes of
/// SHA-256(id, NUL, symbol) read as a fraction of 2^64, below the share for the challenger. It is the
/// same in every process, after every restart and rebalance, and raising the share only moves symbols
/// from the champion to the challenger.
/// </summary>
public sealed class ExperimentArms
{
    public const string Champion = "champion";
    public const string Challenger = "challenger";
    public const string MeterName = "Inference.Streaming.Experiments";

    private readonly ExperimentOptions _options;
    private readonly Counter<long>? _decisions;
    private readonly Counter<long>? _compared;
    private readonly Counter<long>? _shadowFailures;
    private readonly ConcurrentDictionary<(string Arm, string Symbol), double> _pnl = new();
    private long _agreed;
    private long _comparedTotal;

    public ExperimentArms(IOptions<ExperimentOptions> options, IMeterFactory? meters = null)
    {
        _options = options.Value;
        if (meters?.Create(MeterName) is not { } meter || !IsOn)
        {
            return;
        }

        _decisions = meter.CreateCounter<long>(
            "inference_experiment_decisions",
            "{decision}",
            "Decisions by arm (champion, challenger), action and whether they went to the shadow topic"
        );
        _compared = meter.CreateCounter<long>(
            "inference_experiment_comparisons",
            "{bar}",
            "Shadow experiment: bars both arms decided, by whether their actions agree"
        );
        _shadowFailures = meter.CreateCounter<long>(
            "inference_experiment_shadow_failures",
            "{bar}",
            "Shadow experiment: bars the challenger could not decide, by reason"
        );
        meter.CreateObservableGauge(
            "inference_experiment_agreement_ratio",
            () =>
                Interlocked.Read(ref _comparedTotal) is > 0 and var total
                    ? (double)Interlocked.Read(ref _agreed) / total
                    : double.NaN,
            null,
            "Shadow experiment: share of bars where the arms' actions agree, since start"
        );
        meter.CreateObservableGauge(
            "inference_experiment_paper_pnl",
            () =>
                _pnl.Select(p => new Measurement<double>(
                    p.Value,
                    new KeyValuePair<string, object?>("arm", p.Key.Arm),
                    new KeyValuePair<string, object?>("symbol", p.Key.Symbol)
                )),
            "{currency}",
            "Each arm's paper P&L per symbol at its last closed bar (portfolio value less initial capital)"
        );
        meter.CreateObservableGauge(
            "inference_experiment_paper_pnl_total",
            () =>
                _pnl.GroupBy(p => p.Key.Arm)
                    .Select(g => new Measurement<double>(
                        g.Sum(p => p.Value),
                        new KeyValuePair<string, object?>("arm", g.Key)
                    )),
            "{currency}",
            "Each arm's paper P&L over all symbols this worker holds"
        );
    }

    public ExperimentMode Mode => _options.Mode;

    public bool IsOn => _options.Mode != ExperimentMode.Off;

    public string? Id => IsOn ? _options.Id : null;

    /// <summary>The arm whose decisions for <paramref name="symbol"/> are live: the challenger for its share of
    /// symbols in A/B mode, otherwise the champion.</summary>
    public ModelRole LiveArm(string symbol) =>
        _options.Mode == ExperimentMode.AB && Fraction(_options.Id!, symbol) < _options.ChallengerShare
            ? ModelRole.Challenger
            : ModelRole.Champion;

    /// <summary>The symbol's position in [0, 1) under the experiment's hash.</summary>
    public static double Fraction(string experimentId, string symbol)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(experimentId + "\0" + symbol), hash);
        return BinaryPrimitives.ReadUInt64BigEndian(hash) / 18446744073709551616.0;
    }

    /// <summary>The mark a decision of <paramref name="role"/> carries: every decision in A/B mode, only the
    /// challenger's in shadow mode (the champion's stay as they would be without the experiment).</summary>
    public ExperimentArm? Mark(ModelRole role) =>
        _options.Mode switch
        {
            ExperimentMode.AB => new ExperimentArm
            {
                id = _options.Id,
                arm = Name(role),
                mode = "ab",
            },
            ExperimentMode.Shadow when role == ModelRole.Challenger => new ExperimentArm
            {
                id = _options.Id,
                arm = Challenger,
                mode = "shadow",
            },
            _ => null,
        };

    public static string Name(ModelRole role) => role == ModelRole.Challenger ? Challenger : Champion;

    /// <summary>Counts a published decision of <paramref name="arm"/>.</summary>
    public void Decided(string arm, TradeAction action, bool shadow = false) =>
        _decisions?.Add(
            1,
            new KeyValuePair<string, object?>("arm", arm),
            new KeyValuePair<string, object?>("action", action.ToString()),
            new KeyValuePair<string, object?>("shadow", shadow)
        );

    /// <summary>Counts a bar both arms decided in a shadow experiment.</summary>
    public void Compared(bool agree)
    {
        _compared?.Add(1, new KeyValuePair<string, object?>("agree", agree));
        Interlocked.Increment(ref _comparedTotal);
        if (agree)
        {
            Interlocked.Increment(ref _agreed);
        }
    }

    public void ShadowFailed(string reason) =>
        _shadowFailures?.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>An arm's paper P&amp;L for a symbol: its portfolio marked at <paramref name="price"/>.</summary>
    public void MarkPnl(string arm, string symbol, PaperPortfolio portfolio, double price)
    {
        if (IsOn)
        {
            _pnl[(arm, symbol)] = portfolio.Cash + portfolio.Shares * price - portfolio.InitialCapital;
        }
    }

    /// <summary>Forgets an evicted symbol's P&amp;L, so the gauges stay as bounded as the state.</summary>
    public void Forget(string symbol)
    {
        _pnl.TryRemove((Champion, symbol), out _);
        _pnl.TryRemove((Challenger, symbol), out _);
    }
}
