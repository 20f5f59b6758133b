using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Backtesting;
using Inference.Streaming.Engine.Decisions;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Engine.Regimes;
using Inference.Streaming.Engine.Risk;
using Inference.Streaming.Worker.Decisions;
using Inference.Streaming.Worker.Publishing;

namespace Inference.Streaming.Tools.Backtest;

/// <summary>One decided bar of one policy: the records as the stream would publish them and what the paper
/// portfolio did with the action.</summary>
public sealed record BacktestStep(
    TradingDecision Decision,
    DecisionForensics Forensics,
    double Close,
    double ValueAfter,
    double TradedNotional
);

/// <summary>
/// Runs a bar file through the serving code, one policy (a model set) at a time: <see cref="BarReplay"/> (the
/// stream's bars, regimes, routing and scoring) with the records assembled by the worker's own
/// <see cref="DecisionAssembler"/>, the risk checks against the symbol's own paper portfolio (no sector book). The
/// wall-clock fields are fixed so that a backtest is reproducible byte for byte: <c>produced_at</c> is the bar's
/// end, <c>latency_ms</c> and the timings 0; <c>input</c> names the file's line.
/// </summary>
public sealed class Backtester(
    DecisionAssembler assembler,
    DecisionFunction rules,
    IRegimeDetector? detector,
    FeatureOptions features,
    ReplayRegimes regimeSource,
    string inputName,
    long decideFromMs = long.MinValue
)
{
    private readonly BarReplay _replay = new(
        rules,
        detector,
        regimeSource,
        (long)features.BarInterval.TotalMilliseconds,
        features.InitialCapital,
        inputName
    )
    {
        DecideFromMs = decideFromMs,
    };

    /// <summary>Rows that could not be decided (the stream dead-letters them and the portfolio holds), with why.
    /// </summary>
    public List<string> Failures => _replay.Failures;

    /// <summary>Decides every bar of <paramref name="rows"/> (each with its symbol) with <paramref name="models"/>, in
    /// file order; each step goes to <paramref name="decided"/> as it is made.</summary>
    public Task RunAsync(
        IAsyncEnumerable<CsvBar> rows,
        ModelSet models,
        Action<BacktestStep> decided,
        CancellationToken cancellationToken
    ) => _replay.RunAsync(rows, models, bar => Decide(bar, models, decided), cancellationToken);

    private TradeAction? Decide(BarToDecide bar, ModelSet models, Action<BacktestStep> decided)
    {
        var (state, closed) = (bar.State, bar.Bar);
        var when = DateTimeOffset.FromUnixTimeMilliseconds(closed.EndMs).UtcDateTime;
        var context = new DecisionContext(
            state.Symbol,
            closed.StartMs,
            closed.EndMs,
            state.Regime,
            bar.Route.Weights,
            bar.Route.Strategy,
            SectorBook.Alone
        );
        var (decision, riskInputs) = assembler.Decide(
            context,
            bar.Result,
            models.Fingerprint,
            state.Portfolio,
            closed.Close
        );
        decision.produced_at = when;
        decision.latency_ms = 0;
        var forensics = assembler.Forensics(
            decision,
            riskInputs,
            bar.Observation,
            bar.Result,
            models,
            new InputPosition
            {
                topic = inputName,
                partition = 0,
                offset = bar.Line,
            },
            bar.Detector,
            controlGeneration: 0,
            new DecisionTimings()
        );
        if ((FiniteCheck.FirstNonFinite(decision) ?? FiniteCheck.FirstNonFinite(forensics)) is { } field)
        {
            Failures.Add($"{state.Symbol} {when:O}: the decision's '{field}' is not finite");
            return null;
        }

        // What the portfolio will hold once the action is applied, as the stream applies it.
        var (traded, valueAfter) = BacktestPerformance.Preview(state.Portfolio, decision.action, closed.Close);
        decided(new BacktestStep(decision, forensics, closed.Close, valueAfter, traded));
        return decision.action;
    }
}
