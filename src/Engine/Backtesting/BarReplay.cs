using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Decisions;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Engine.Regimes;
using Inference.Streaming.Engine.Symbols;

namespace Inference.Streaming.Engine.Backtesting;

/// <summary>Where a replay's regimes come from (<c>--regimes</c>).</summary>
public enum ReplayRegimes
{
    /// <summary>A detector, bar by bar as the stream runs it (<c>Regimes:Source Detector</c>): causal.</summary>
    Detector,

    /// <summary>The file's <c>bull, bear, sideways</c> columns, as <c>regime-updates</c> would carry them at each
    /// row's time.</summary>
    Columns,

    /// <summary>The file's <c>regime</c> label column, one-hot at each row's time. Labels drawn with hindsight make
    /// this an oracle: an upper bound for the regime blends, not a result.</summary>
    Labels,
}

/// <summary>One closed bar about to be decided: its symbol's state (the portfolio as the risk checks see it), the
/// observation, who computed the regime, the route and the models' scores.</summary>
public sealed record BarToDecide(
    SymbolFeatures State,
    Bar Bar,
    long Line,
    float[] Observation,
    RegimeDetectorInfo? Detector,
    DecisionRoute Route,
    RowResult Result
);

/// <summary>
/// A bar file through the decision path of the stream, without Kafka: each row becomes the four ticks that rebuild
/// it (<see cref="BarTicks"/>) in the symbol's own <see cref="SymbolFeatures"/>; a bar closes when the next row's
/// ticks arrive (the last at the end of the file); its regime moves on through the detector (or the file's regimes,
/// held until the bar they belong to closes); it is routed by <see cref="DecisionFunction"/> and scored by the
/// engine. The caller decides the bar and returns the action, which is applied to the symbol's paper portfolio at the
/// bar's close before its next bar, as the stream applies a published action. <c>backtest</c> (with the stream's
/// records) and the trainer's evaluation on real bars both run through here.
/// </summary>
public sealed class BarReplay(
    DecisionFunction rules,
    IRegimeDetector? detector,
    ReplayRegimes regimeSource,
    long intervalMs,
    double initialCapital,
    string inputName
)
{
    /// <summary>Bars that start before this (Unix ms) are folded into the indicators and the regime but not decided:
    /// the warm-up before an evaluation period. The portfolio starts at the first decided bar.</summary>
    public long DecideFromMs { get; init; } = long.MinValue;

    /// <summary>The selection to route every bar with, instead of the symbol's own (<c>Inference:Selection</c>).
    /// </summary>
    public SelectionStrategy? Strategy { get; init; }

    /// <summary>One model to decide every bar alone, instead of the route's plan.</summary>
    public string? Model { get; init; }

    /// <summary>Called for a bar that could not be decided (its portfolio holds, as in the stream), so a caller
    /// keeps one value per bar.</summary>
    public Action<SymbolFeatures, Bar>? Held { get; init; }

    /// <summary>Rows that could not be decided (the stream dead-letters them and the portfolio holds), with why.
    /// </summary>
    public List<string> Failures { get; } = [];

    /// <summary>Decides every bar of <paramref name="rows"/> (each with its symbol) with <paramref name="models"/>,
    /// in file order. <paramref name="decide"/> returns the action to apply, or null when the bar could not be
    /// decided (the portfolio holds).</summary>
    public async Task RunAsync(
        IAsyncEnumerable<CsvBar> rows,
        ModelSet models,
        Func<BarToDecide, TradeAction?> decide,
        CancellationToken cancellationToken
    )
    {
        var states = new Dictionary<string, (SymbolFeatures State, long Line)>(StringComparer.Ordinal);
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            var symbol = row.Symbol ?? throw new ArgumentException($"{inputName}:{row.Line}: the row has no symbol");
            if (!states.TryGetValue(symbol, out var entry))
            {
                entry = (new SymbolFeatures(symbol, intervalMs, initialCapital), row.Line);
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
                    Close(state, closed, entry.Line, models, decide);
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
                Close(state, last, line, models, decide);
            }
        }
    }

    private RegimeState? RegimeOf(CsvBar row) =>
        regimeSource switch
        {
            ReplayRegimes.Columns => row.Regime
                ?? throw new FormatException($"{inputName}:{row.Line}: --regimes columns needs bull, bear, sideways"),
            ReplayRegimes.Labels => Label(row.Label)
                ?? throw new FormatException(
                    row.Label is null
                        ? $"{inputName}:{row.Line}: --regimes labels needs a regime column"
                        : $"{inputName}:{row.Line}: regime '{row.Label}' is not BULL, BEAR or SIDEWAYS"
                ),
            _ => null,
        };

    /// <summary>A label (BULL, BEAR, SIDEWAYS, any case) as a one-hot regime; null for anything else.</summary>
    public static RegimeState? Label(string? label) =>
        RegimeScores.LabelIndex(label) switch
        {
            0 => RegimeState.FromProbabilities(1, 0, 0),
            1 => RegimeState.FromProbabilities(0, 1, 0),
            2 => RegimeState.FromProbabilities(0, 0, 1),
            _ => null,
        };

    // The stream's BarCloser and decision stage for one closed bar.
    private void Close(
        SymbolFeatures state,
        Bar bar,
        long line,
        ModelSet models,
        Func<BarToDecide, TradeAction?> decide
    )
    {
        state.ApplyRegimesBefore(bar.EndMs);
        var observation = state.Observe(bar);
        RegimeDetectorInfo? detectedBy = null;
        if (regimeSource == ReplayRegimes.Detector && detector is not null)
        {
            state.Regime = detector.Detect(state.Indicators, state.Regime) ?? state.Regime;
            detectedBy = detector.Info;
        }

        if (bar.StartMs < DecideFromMs)
        {
            return;
        }

        var route = rules.Route(state.Symbol, state.Regime, Strategy);
        if (Model is { } alone)
        {
            route = route with { Plan = RowPlan.ForModel(alone) };
        }

        var result = InferenceEngine.Run(models, observation, Observation.Width, [route.Plan])[0];
        if (!result.Succeeded)
        {
            Failures.Add($"{state.Symbol} {Iso(bar.EndMs)}: {result.Failure}: {result.FailureDetail}");
            Held?.Invoke(state, bar);
            return;
        }

        var action = decide(new BarToDecide(state, bar, line, observation, detectedBy, route, result));
        if (action is { } applied)
        {
            state.Portfolio.Apply(applied, bar.Close);
        }
        else
        {
            Held?.Invoke(state, bar);
        }
    }

    private static string Iso(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("O");
}
