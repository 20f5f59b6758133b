namespace Inference.Streaming.Engine.Simulation;

/// <summary>
/// A regime-switching market: per symbol, log-price steps with the drift and volatility of a hidden
/// regime that follows a Markov chain once per simulated minute. Deterministic under its seed:
/// the same seed gives the same ticks whatever the wall clock does.
/// </summary>
/// <remarks>
/// Calibrated to real daily BTC-USD (<c>tests/Fixtures/market/btc-usd-daily-2017-2021.csv</c>, 1,826 days,
/// by its regime labels; see <see cref="Calibration"/>), on a compressed clock: one simulated minute,
/// the demo's bar, carries one day of that market. Each regime's mean and standard deviation of the
/// daily log return become the log return of one simulated minute; a tick of Δt moves by the
/// Brownian share of it (drift × Δt/1 min, volatility × √(Δt/1 min)). A regime lasts as long as the
/// labelled runs do on average (a switch each minute with probability 1/mean run length) and switches
/// to the other two in the proportions the labels do. Scaling a day to 1,440 real minutes instead would
/// leave a bull market's drift at 0.004 of one minute's noise: no detector or policy could see a
/// regime within an episode.
/// </remarks>
public sealed class MarketSimulator
{
    private const long RegimeStepMs = 60_000;

    /// <summary>Per regime (bull, bear, sideways): mean and standard deviation of the log return of one simulated
    /// minute (one labelled BTC-USD day), the mean length of a labelled run in days, and where a switch
    /// goes (probability of each regime; the regime itself 0).</summary>
    public static IReadOnlyList<(
        double MeanLogReturn,
        double Volatility,
        double MeanRun,
        double[] SwitchTo
    )> Calibration { get; } =
    [
        (0.00597, 0.04064, 56.6, [0, 9.0 / 17, 8.0 / 17]),
        (-0.00328, 0.04845, 32.7, [11.0 / 18, 0, 7.0 / 18]),
        (0.00052, 0.02770, 15.2, [6.0 / 16, 10.0 / 16, 0]),
    ];

    private readonly Random _random;
    private readonly string[] _symbols;
    private readonly double[] _prices;
    private readonly MarketRegime[] _regimes;
    private readonly long _startMs;
    private readonly long _intervalMs;
    private long _step;
    private long _lastRegimeStep = -1;
    private readonly bool _fixedRegime;
    private readonly (double Drift, double Volatility)[] _perTick;

    /// <param name="symbols">One price path per symbol.</param>
    /// <param name="seed">Seeds every draw.</param>
    /// <param name="start">Simulated time of the first round.</param>
    /// <param name="tickInterval">Simulated time between rounds.</param>
    /// <param name="regime">Holds every symbol in this regime for the whole path (training and evaluation of
    /// specialists); null switches regimes.</param>
    public MarketSimulator(
        IReadOnlyList<string> symbols,
        int seed,
        DateTimeOffset start,
        TimeSpan tickInterval,
        MarketRegime? regime = null
    )
    {
        _random = new Random(seed);
        _symbols = [.. symbols];
        _prices = [.. symbols.Select(_ => 50 + (_random.NextDouble() * 450))];
        _regimes = [.. symbols.Select(_ => (MarketRegime)_random.Next(3))];
        if (regime is { } held)
        {
            Array.Fill(_regimes, held);
            _fixedRegime = true;
        }

        _startMs = start.ToUnixTimeMilliseconds();
        _intervalMs = Math.Max(1, (long)tickInterval.TotalMilliseconds);
        var share = (double)_intervalMs / RegimeStepMs;
        // A tick's step is exp(drift − σ²/2 + σZ): drift per tick so that the minute's mean log return is the
        // calibrated one.
        _perTick =
        [
            .. Calibration.Select(c =>
            {
                var volatility = c.Volatility * Math.Sqrt(share);
                return ((c.MeanLogReturn * share) + (0.5 * volatility * volatility), volatility);
            }),
        ];
    }

    public IReadOnlyList<string> Symbols => _symbols;

    public MarketRegime RegimeOf(int symbol) => _regimes[symbol];

    /// <summary>The next round: one tick per symbol at the same simulated step, symbols a millisecond apart.</summary>
    public IEnumerable<SimulatedTick> NextRound()
    {
        var timeMs = _startMs + (_step * _intervalMs);
        var regimeStep = (timeMs - _startMs) / RegimeStepMs;
        if (regimeStep != _lastRegimeStep && !_fixedRegime)
        {
            _lastRegimeStep = regimeStep;
            for (var i = 0; i < _regimes.Length; i++)
            {
                var (_, _, meanRun, switchTo) = Calibration[(int)_regimes[i]];
                if (_random.NextDouble() < 1.0 / meanRun)
                {
                    var draw = _random.NextDouble();
                    var next = 0;
                    while (next < 2 && (draw -= switchTo[next]) >= 0)
                    {
                        next++;
                    }

                    _regimes[i] = (MarketRegime)next;
                }
            }
        }

        var ticks = new SimulatedTick[_symbols.Length];
        for (var i = 0; i < _symbols.Length; i++)
        {
            var (drift, volatility) = _perTick[(int)_regimes[i]];
            _prices[i] *= Math.Exp(drift - (0.5 * volatility * volatility) + (volatility * Normal()));
            var spread = _prices[i] * 0.0002;
            var size = Math.Round(Math.Exp(4 + (0.8 * Normal())));
            ticks[i] = new SimulatedTick(
                _symbols[i],
                timeMs + i,
                _prices[i],
                size,
                _prices[i] - spread,
                _prices[i] + spread,
                _step
            );
        }

        _step++;
        return ticks;
    }

    // Box–Muller on the seeded generator.
    private double Normal()
    {
        var u1 = 1.0 - _random.NextDouble();
        var u2 = _random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
