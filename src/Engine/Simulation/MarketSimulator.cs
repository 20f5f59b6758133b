namespace Inference.Streaming.Engine.Simulation;

/// <summary>
/// A regime-switching market: per symbol, log-price steps with the drift and volatility of a hidden
/// regime that follows a Markov chain once per simulated minute. Deterministic under its seed:
/// the same seed gives the same ticks whatever the wall clock does.
/// </summary>
public sealed class MarketSimulator
{
    private const long RegimeStepMs = 60_000;
    private const double SwitchProbability = 0.02;

    // Per-tick drift and volatility of the log price, per regime.
    private static readonly (double Drift, double Volatility)[] Dynamics =
    [
        (1.2e-4, 8e-4),
        (-1.2e-4, 1.2e-3),
        (0.0, 5e-4),
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
                if (_random.NextDouble() < SwitchProbability)
                {
                    _regimes[i] = (MarketRegime)(((int)_regimes[i] + 1 + _random.Next(2)) % 3);
                }
            }
        }

        var ticks = new SimulatedTick[_symbols.Length];
        for (var i = 0; i < _symbols.Length; i++)
        {
            var (drift, volatility) = Dynamics[(int)_regimes[i]];
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
