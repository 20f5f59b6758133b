using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Features;

namespace Inference.Streaming.Engine.Backtesting;

/// <summary>
/// One policy's paper book over a backtest: the total value of every symbol's portfolio after each bar end (a
/// symbol not yet decided counts its initial capital), and what it traded. The figures of <c>report.json</c>:
/// <list type="bullet">
/// <item><c>sharpe_per_bar</c>: mean over standard deviation (n − 1) of the book's return from one bar end to the
/// next, not annualised; 0 when the returns do not vary.</item>
/// <item><c>total_return</c>: last value over the initial capital, less 1.</item>
/// <item><c>max_drawdown</c>: the largest fall from a running peak, as a fraction of the peak.</item>
/// <item><c>turnover</c>: the notional traded (shares bought or sold at the close) over the initial capital.</item>
/// <item><c>trades</c>: actions that changed a position.</item>
/// </list>
/// </summary>
public sealed class BacktestPerformance(string name, IReadOnlyCollection<string> symbols, double capitalPerSymbol)
{
    private readonly Dictionary<string, double> _values = symbols.ToDictionary(
        s => s,
        _ => capitalPerSymbol,
        StringComparer.Ordinal
    );
    private readonly List<(long EndMs, double Value)> _equity = [];

    public string Name { get; } = name;

    public double InitialCapital { get; } = capitalPerSymbol * symbols.Count;

    public long Decisions { get; private set; }

    public long Trades { get; private set; }

    public long Buys { get; private set; }

    public long Sells { get; private set; }

    public double Traded { get; private set; }

    /// <summary>The book's value at each bar end, in time order.</summary>
    public IReadOnlyList<(long EndMs, double Value)> Equity => _equity;

    /// <summary>A symbol's value after its bar ending at <paramref name="endMs"/>; bar ends come in time order (the
    /// file's rows are, and each symbol's are).</summary>
    public void Mark(string symbol, long endMs, double value)
    {
        _values[symbol] = value;
        var total = _values.Values.Sum();
        if (_equity.Count > 0 && _equity[^1].EndMs == endMs)
        {
            _equity[^1] = (endMs, total);
        }
        else
        {
            _equity.Add((endMs, total));
        }
    }

    /// <summary>Counts a decided bar of the policy (its action, the notional it traded) and marks the symbol's value
    /// after it.</summary>
    public void Add(string symbol, long endMs, TradeAction action, double traded, double valueAfter)
    {
        Decisions++;
        if (traded > 0)
        {
            Trades++;
            Traded += traded;
            Buys += action == TradeAction.BUY ? 1 : 0;
            Sells += action == TradeAction.SELL ? 1 : 0;
        }

        Mark(symbol, endMs, valueAfter);
    }

    /// <summary>What <paramref name="action"/> at <paramref name="price"/> would trade (notional) and leave the
    /// portfolio worth, without changing it.</summary>
    public static (double Traded, double ValueAfter) Preview(PaperPortfolio portfolio, TradeAction action, double price)
    {
        var after = new PaperPortfolio(portfolio.InitialCapital);
        after.Restore(
            portfolio.InitialCapital,
            portfolio.Cash,
            portfolio.Shares,
            portfolio.Day,
            portfolio.DayOpenValue
        );
        after.Apply(action, price);
        return (Math.Abs(after.Shares - portfolio.Shares) * price, after.ValueAt(price));
    }

    /// <summary>The book's return from one bar end to the next (the first from the initial capital).</summary>
    public double[] Returns()
    {
        var returns = new double[_equity.Count];
        var previous = InitialCapital;
        for (var i = 0; i < _equity.Count; i++)
        {
            returns[i] = (_equity[i].Value / previous) - 1;
            previous = _equity[i].Value;
        }

        return returns;
    }

    /// <summary>Mean over standard deviation (n − 1); 0 when the returns do not vary or there are fewer than
    /// two.</summary>
    public static double Sharpe(IReadOnlyList<double> returns)
    {
        if (returns.Count < 2)
        {
            return 0;
        }

        var mean = returns.Average();
        var sd = Math.Sqrt(returns.Sum(r => (r - mean) * (r - mean)) / (returns.Count - 1));
        return sd > 0 ? mean / sd : 0;
    }

    private readonly Dictionary<string, double> _held = new(StringComparer.Ordinal);

    /// <summary>Buy-and-hold: a symbol's whole capital bought at its first bar's close (commission paid), then held;
    /// marked at each bar's close.</summary>
    public void Hold(string symbol, long endMs, double close)
    {
        if (!_held.TryGetValue(symbol, out var shares))
        {
            shares = capitalPerSymbol / (close * (1 + PaperPortfolio.Commission));
            _held[symbol] = shares;
            Decisions++;
            Trades++;
            Buys++;
            Traded += shares * close;
        }

        Mark(symbol, endMs, shares * close);
    }

    /// <summary>The drawdown at each bar end (0 at a peak, positive below it).</summary>
    public double[] Drawdowns()
    {
        var peak = double.MinValue;
        return
        [
            .. _equity.Select(e =>
            {
                peak = Math.Max(peak, e.Value);
                return peak > 0 ? 1 - (e.Value / peak) : 0;
            }),
        ];
    }

    public double TotalReturn => _equity.Count == 0 ? 0 : (_equity[^1].Value / InitialCapital) - 1;

    public double SharpePerBar => Sharpe(Returns());

    /// <summary>The figures of <c>report.json</c> for this policy.</summary>
    public Dictionary<string, object> Summary() =>
        new()
        {
            ["bars"] = _equity.Count,
            ["decisions"] = Decisions,
            ["sharpe_per_bar"] = SharpePerBar,
            ["total_return"] = TotalReturn,
            ["max_drawdown"] = _equity.Count == 0 ? 0.0 : Drawdowns().Max(),
            ["turnover"] = Traded / InitialCapital,
            ["trades"] = Trades,
            ["buys"] = Buys,
            ["sells"] = Sells,
            ["initial_capital"] = InitialCapital,
            ["final_value"] = _equity.Count == 0 ? InitialCapital : _equity[^1].Value,
        };
}
