using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Simulation;
using Inference.Streaming.Engine.Symbols;

namespace Inference.Streaming.Trainer;

/// <summary>
/// One symbol's market as the worker sees it: the demo simulator's 1-second ticks aggregated into
/// bars of <c>Features:BarInterval</c> (1 minute by default), observed through the worker's own
/// <see cref="SymbolFeatures"/> (indicators, paper portfolio, the 43 features), every action passed
/// through the worker's decision rules (<c>DecisionFunction.Gate</c>) and applied
/// to the paper portfolio at the close. The reward is the portfolio's relative value change over
/// the next bar, commission included.
/// </summary>
public sealed class TradingEnvironment
{
    /// <summary>Bars observed before the first decision, so every indicator window (SMA50 the longest) is
    /// full.</summary>
    public const int WarmupBars = 50;
    private static readonly DateTimeOffset Start = new(2026, 1, 5, 14, 30, 0, TimeSpan.Zero);

    private readonly MarketRegime? _regime;
    private readonly HistoricalMarket? _history;
    private int _next;
    private readonly int _episodeBars;
    private readonly double _rewardScale;
    private readonly TrainerEngine _engine;
    private MarketSimulator _market = null!;
    private SymbolFeatures _state = null!;
    private Bar _bar;
    private int _step;

    public TradingEnvironment(MarketRegime? regime, int episodeBars, double rewardScale, TrainerEngine engine)
    {
        _regime = regime;
        _episodeBars = episodeBars;
        _rewardScale = rewardScale;
        _engine = engine;
    }

    /// <summary>An environment over real bars (<see cref="HistoricalMarket"/>): each episode starts at a bar drawn
    /// from those of <paramref name="regime"/> (any bar for null) with <see cref="WarmupBars"/> bars before it, and
    /// ends after <paramref name="episodeBars"/> decisions, at the end of the history, or, for a specialist, when
    /// the market leaves its regime.</summary>
    public TradingEnvironment(
        HistoricalMarket history,
        MarketRegime? regime,
        int episodeBars,
        double rewardScale,
        TrainerEngine engine
    )
        : this(regime, episodeBars, rewardScale, engine)
    {
        _history = history;
        if (history.StartsFor(regime, WarmupBars).Count == 0)
        {
            throw new ArgumentException(
                $"{history.Description}: no bar of the {regime?.ToString().ToLowerInvariant() ?? "any"} regime has "
                    + $"{WarmupBars} bars before it to warm up on"
            );
        }
    }

    public PaperPortfolio Portfolio => _state.Portfolio;

    public Bar Bar => _bar;

    public MarketRegime Regime => _history?.Regimes[_next - 1] ?? _market.RegimeOf(0);

    public SymbolFeatures State => _state;

    /// <summary>Every closed bar, warm-up included (the evaluation's regime detector listens).</summary>
    public event Action<Bar>? BarClosed;

    /// <summary>Starts a new path from <paramref name="seed"/> and returns the first observation.</summary>
    /// <param name="seed">Seeds the path.</param>
    /// <param name="position">
    /// Fraction of the capital already invested at the first decision (training draws it, so that
    /// each specialist learns what to do with a position another one left it); 0 starts flat.
    /// </param>
    public float[] Reset(int seed, double position = 0)
    {
        _state = new SymbolFeatures("SIM", _engine.BarMs, PaperPortfolio.DefaultInitialCapital);
        _step = 0;
        if (_history is not null)
        {
            var starts = _history.StartsFor(_regime, WarmupBars);
            _next = starts[new Random(seed).Next(starts.Count)] - WarmupBars;
        }
        else
        {
            _market = new MarketSimulator(["SIM"], seed, Start, TimeSpan.FromSeconds(1), _regime);
        }

        float[] observation = [];
        for (var i = 0; i < WarmupBars; i++)
        {
            observation = Advance();
        }

        if (position > 0)
        {
            var portfolio = _state.Portfolio;
            var shares = position * portfolio.Cash / _bar.Close;
            portfolio.Restore(
                portfolio.InitialCapital,
                portfolio.Cash - (shares * _bar.Close),
                shares,
                portfolio.Day,
                portfolio.DayOpenValue
            );
            Observation.Compute(portfolio, _state.Indicators, observation);
        }

        return observation;
    }

    /// <summary>Acts at the current bar's close, then observes the next bar.</summary>
    /// <returns>The next observation, the reward, whether the episode is over, and the action the risk checks let
    /// through.</returns>
    public (float[] Observation, double Reward, bool Done, TradeAction Applied) Step(TradeAction action)
    {
        var price = _bar.Close;
        var before = _state.Portfolio.ValueAt(price);
        var (applied, _) = _engine.Rules.Gate(action, price, _state.Portfolio);
        _state.Portfolio.Apply(applied, price);
        var observation = Advance();
        var after = _state.Portfolio.ValueAt(_bar.Close);
        _step++;
        var done =
            _step >= _episodeBars
            || (
                _history is not null
                && (_next >= _history.Bars.Count || (_regime is { } regime && _history.Regimes[_next - 1] != regime))
            );
        return (observation, (after - before) / before * _rewardScale, done, applied);
    }

    private float[] Advance()
    {
        if (_history is not null)
        {
            _bar = _history.Bars[_next++];
            BarClosed?.Invoke(_bar);
            return _state.Observe(_bar);
        }

        while (true)
        {
            var tick = _market.NextRound().First();
            if (_state.Bars.Add(tick.TimeMs, tick.Price, tick.Size, out var closed) == TickOutcome.ClosedBar)
            {
                _bar = closed;
                BarClosed?.Invoke(closed);
                return _state.Observe(closed);
            }
        }
    }
}
