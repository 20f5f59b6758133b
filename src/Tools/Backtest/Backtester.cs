using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Decisions;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Engine.Regimes;
using Inference.Streaming.Engine.Risk;
using Inference.Streaming.Engine.Symbols;
using Inference.Streaming.Worker.Decisions;
using Inference.Streaming.Worker.Publishing;
using Inference.Streaming.Worker.Regimes;

namespace Inference.Streaming.Tools.Backtest;

/// <summary>Where a backtest's regimes come from (<c>--regimes</c>).</summary>
public enum BacktestRegimes
{
    /// <summary>The stream's detector (<c>Regimes:Source Detector</c>): causal, bar by bar.</summary>
    Detector,

    /// <summary>The file's <c>bull, bear, sideways</c> columns, as <c>regime-updates</c> would carry them at each
    /// row's time.</summary>
    Columns,

    /// <summary>The file's <c>regime</c> label column, one-hot at each row's time. Labels drawn with hindsight make
    /// this an oracle: an upper bound for the regime blends, not a result.</summary>
    Labels,
}

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
/// Runs a bar file through the serving code, one policy (a model set) at a time: each row becomes the four ticks
/// that rebuild it (<see cref="BarTicks"/>) in the symbol's own <see cref="SymbolFeatures"/>, as in the stream; a
/// bar closes when the next row's ticks arrive (the last at the end of the file); its regime comes from
/// <see cref="StreamRegimes"/> or the file; the decision from <see cref="DecisionFunction"/>, the engine and
/// <see cref="DecisionAssembler"/>, the risk checks against the symbol's own paper portfolio (no sector book), and
/// the published action is applied to that portfolio at the bar's close before the symbol's next bar. The
/// wall-clock fields are fixed so that a backtest is reproducible byte for byte: <c>produced_at</c> is the bar's
/// end, <c>latency_ms</c> and the timings 0; <c>input</c> names the file's line.
/// </summary>
public sealed class Backtester(
    DecisionAssembler assembler,
    DecisionFunction rules,
    StreamRegimes regimes,
    FeatureOptions features,
    BacktestRegimes regimeSource,
    string inputName
)
{
    private readonly long _intervalMs = (long)features.BarInterval.TotalMilliseconds;

    /// <summary>Rows that could not be decided (the stream dead-letters them and the portfolio holds), with why.
    /// </summary>
    public List<string> Failures { get; } = [];

    /// <summary>Decides every bar of <paramref name="rows"/> (each with its symbol) with <paramref name="models"/>, in
    /// file order; each step goes to <paramref name="decided"/> as it is made.</summary>
    public async Task RunAsync(
        IAsyncEnumerable<CsvBar> rows,
        ModelSet models,
        Action<BacktestStep> decided,
        CancellationToken cancellationToken
    )
    {
        var states = new Dictionary<string, (SymbolFeatures State, long Line)>(StringComparer.Ordinal);
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            var symbol = row.Symbol ?? throw new ArgumentException($"{inputName}:{row.Line}: the row has no symbol");
            if (!states.TryGetValue(symbol, out var entry))
            {
                entry = (new SymbolFeatures(symbol, _intervalMs, features.InitialCapital), row.Line);
            }

            var state = entry.State;
            if (RegimeOf(row) is { } given)
            {
                state.AddRegime(row.Bar.StartMs, given);
            }

            foreach (var (timeMs, price, size) in BarTicks.Of(row.Bar))
            {
                var outcome = state.Bars.Add(timeMs, price, size, out var closed);
                if (outcome == TickOutcome.ClosedBar)
                {
                    Decide(state, closed, entry.Line, models, decided);
                    entry.Line = row.Line;
                }
                else if (outcome == TickOutcome.Late)
                {
                    throw new FormatException(
                        $"{inputName}:{row.Line}: {row.Date} falls in a bar of {symbol} that has closed"
                    );
                }
            }

            states[symbol] = entry;
        }

        foreach (var (state, line) in states.Values)
        {
            if (state.Bars.TryCloseAt(long.MaxValue, 0, out var last))
            {
                Decide(state, last, line, models, decided);
            }
        }
    }

    private RegimeState? RegimeOf(CsvBar row) =>
        regimeSource switch
        {
            BacktestRegimes.Columns => row.Regime
                ?? throw new FormatException($"{inputName}:{row.Line}: --regimes columns needs bull, bear, sideways"),
            BacktestRegimes.Labels => row.Label?.ToUpperInvariant() switch
            {
                "BULL" => RegimeState.FromProbabilities(1, 0, 0),
                "BEAR" => RegimeState.FromProbabilities(0, 1, 0),
                "SIDEWAYS" => RegimeState.FromProbabilities(0, 0, 1),
                null => throw new FormatException($"{inputName}:{row.Line}: --regimes labels needs a regime column"),
                _ => throw new FormatException(
                    $"{inputName}:{row.Line}: regime '{row.Label}' is not BULL, BEAR or SIDEWAYS"
                ),
            },
            _ => null,
        };

    // The stream's BarCloser and decision stage for one closed bar, without Kafka.
    private void Decide(SymbolFeatures state, Bar bar, long line, ModelSet models, Action<BacktestStep> decided)
    {
        state.ApplyRegimesBefore(bar.EndMs);
        var observation = state.Observe(bar);
        var detector = regimeSource == BacktestRegimes.Detector ? regimes.Detect(state) : null;
        var route = rules.Route(state.Symbol, state.Regime);
        var result = InferenceEngine.Run(models, observation, Observation.Width, [route.Plan])[0];
        var when = DateTimeOffset.FromUnixTimeMilliseconds(bar.EndMs).UtcDateTime;
        if (!result.Succeeded)
        {
            Failures.Add($"{state.Symbol} {when:O}: {result.Failure}: {result.FailureDetail}");
            return;
        }

        var context = new DecisionContext(
            state.Symbol,
            bar.StartMs,
            bar.EndMs,
            state.Regime,
            route.Weights,
            route.Strategy,
            SectorBook.Alone
        );
        var (decision, riskInputs) = assembler.Decide(context, result, models.Fingerprint, state.Portfolio, bar.Close);
        decision.produced_at = when;
        decision.latency_ms = 0;
        var forensics = assembler.Forensics(
            decision,
            riskInputs,
            observation,
            result,
            models,
            new InputPosition
            {
                topic = inputName,
                partition = 0,
                offset = line,
            },
            detector,
            controlGeneration: 0,
            new DecisionTimings()
        );
        if ((FiniteCheck.FirstNonFinite(decision) ?? FiniteCheck.FirstNonFinite(forensics)) is { } field)
        {
            Failures.Add($"{state.Symbol} {when:O}: the decision's '{field}' is not finite");
            return;
        }

        var sharesBefore = state.Portfolio.Shares;
        state.Portfolio.Apply(decision.action, bar.Close);
        decided(
            new BacktestStep(
                decision,
                forensics,
                bar.Close,
                state.Portfolio.ValueAt(bar.Close),
                Math.Abs(state.Portfolio.Shares - sharesBefore) * bar.Close
            )
        );
    }
}
