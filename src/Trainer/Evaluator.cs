using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Decisions;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Engine.Regimes;
using Inference.Streaming.Engine.Simulation;

namespace Inference.Streaming.Trainer;

/// <summary>
/// Runs policies on held-out simulated paths: each scenario's paths are the same for every
/// policy (prices do not depend on actions). Model policies act as the worker does: the argmax
/// of the probabilities from the worker's own inference engine, through the worker's risk gate,
/// on the worker's paper portfolio. The worker's blends take their regime from the demo's
/// rule-based detector over closed bars, then the meta-controller weights and the selection rule;
/// the <c>_true_regime</c> variants take the simulator's hidden regime instead (certainty in the
/// true one), which separates the specialists' worth from the detector's.
/// </summary>
public sealed class Evaluator(ModelSet models, TrainerEngine engine)
{
    public const string BuyAndHold = "buy_and_hold";
    public const string RandomPolicy = "random";
    public const string WorkerArgmax = "worker_argmax";
    public const string WorkerMixture = "worker_mixture";
    public const string TrueRegimeSuffix = "_true_regime";

    public IReadOnlyList<string> Policies =>
        [
            BuyAndHold,
            RandomPolicy,
            .. ModelNames.All.Where(models.Models.ContainsKey),
            WorkerArgmax,
            WorkerMixture,
            WorkerArgmax + TrueRegimeSuffix,
            WorkerMixture + TrueRegimeSuffix,
        ];

    /// <summary>Every policy on <paramref name="paths"/> paths of <paramref name="bars"/> decisions in
    /// <paramref name="regime"/> (null: regime switching).</summary>
    public ScenarioResult Run(string scenario, MarketRegime? regime, int paths, int bars, int seed)
    {
        var seeds = Enumerable.Range(0, paths).Select(i => seed + (i * 7919)).ToArray();
        var results = Policies.ToDictionary(p => p, p => RunPolicy(p, regime, seeds, bars), StringComparer.Ordinal);
        return new ScenarioResult(scenario, regime, paths, bars, results);
    }

    private PolicyResult RunPolicy(string policy, MarketRegime? regime, int[] seeds, int bars)
    {
        var envs = seeds.Select(_ => new TradingEnvironment(regime, bars, rewardScale: 1, engine)).ToArray();
        var detectors = seeds.Select(_ => new RuleBasedRegimeDetector()).ToArray();
        var regimes = seeds.Select(_ => RegimeState.Prior).ToArray();
        for (var i = 0; i < envs.Length && !policy.EndsWith(TrueRegimeSuffix, StringComparison.Ordinal); i++)
        {
            var index = i;
            envs[i].BarClosed += bar =>
            {
                if (detectors[index].Add(bar.Close) is { } p)
                {
                    regimes[index] = RegimeState.FromProbabilities(p.Bull, p.Bear, p.Sideways);
                }
            };
        }

        var observations = envs.Select((e, i) => e.Reset(seeds[i])).ToArray();
        var random = new Random(seeds[0] ^ 0x5EED);
        var equity = new double[bars + 1];
        var returns = new List<double>(seeds.Length * bars);
        var drawdowns = new double[envs.Length];
        var turnover = new double[envs.Length];
        var values = envs.Select(e => 1.0).ToArray();
        var peaks = envs.Select(e => 1.0).ToArray();
        var startPrices = envs.Select(e => e.Bar.Close).ToArray();
        equity[0] = 1;
        for (var t = 0; t < bars; t++)
        {
            if (policy.EndsWith(TrueRegimeSuffix, StringComparison.Ordinal))
            {
                for (var i = 0; i < envs.Length; i++)
                {
                    regimes[i] = envs[i].Regime switch
                    {
                        MarketRegime.Bull => RegimeState.FromProbabilities(1, 0, 0),
                        MarketRegime.Bear => RegimeState.FromProbabilities(0, 1, 0),
                        _ => RegimeState.FromProbabilities(0, 0, 1),
                    };
                }
            }

            var actions = policy switch
            {
                BuyAndHold => envs.Select(_ => TradeAction.HOLD).ToArray(),
                RandomPolicy => envs.Select(_ => (TradeAction)random.Next(3)).ToArray(),
                _ => Decide(policy, observations, regimes),
            };

            double sum = 0;
            for (var i = 0; i < envs.Length; i++)
            {
                var cash = envs[i].Portfolio.Cash;
                var (next, relative, _, _) = envs[i].Step(actions[i]);
                observations[i] = next;
                turnover[i] += Math.Abs(envs[i].Portfolio.Cash - cash) / PaperPortfolio.DefaultInitialCapital;
                if (policy == BuyAndHold)
                {
                    // Everything invested at the first decision's close, commission paid once.
                    var previous = values[i];
                    values[i] = (1 - PaperPortfolio.Commission) * envs[i].Bar.Close / startPrices[i];
                    relative = (t == 0 ? values[i] : values[i] / previous) - 1;
                    turnover[i] = 1;
                }
                else
                {
                    values[i] *= 1 + relative;
                }

                returns.Add(relative);
                peaks[i] = Math.Max(peaks[i], values[i]);
                drawdowns[i] = Math.Max(drawdowns[i], 1 - (values[i] / peaks[i]));
                sum += values[i];
            }

            equity[t + 1] = sum / envs.Length;
        }

        return new PolicyResult(
            policy,
            values.Average() - 1,
            Sharpe(returns),
            drawdowns.Average(),
            turnover.Average(),
            equity
        );
    }

    private TradeAction[] Decide(string policy, float[][] observations, RegimeState[] regimes)
    {
        var plans = regimes
            .Select(r =>
                policy switch
                {
                    WorkerArgmax or WorkerArgmax + TrueRegimeSuffix => engine
                        .Rules.Route("SIM", r, SelectionStrategy.Argmax)
                        .Plan,
                    WorkerMixture or WorkerMixture + TrueRegimeSuffix => engine
                        .Rules.Route("SIM", r, SelectionStrategy.Mixture)
                        .Plan,
                    _ => RowPlan.ForModel(policy),
                }
            )
            .ToArray();
        var features = observations.SelectMany(o => o).ToArray();
        return
        [
            .. InferenceEngine
                .Run(models, features, Observation.Width, plans)
                .Select(r =>
                    r.Succeeded
                        ? DecisionPolicy.Act(r.Probabilities).Action
                        : throw new InvalidOperationException(
                            $"{policy}: no model could decide a row: {r.Failure}: {r.FailureDetail}"
                        )
                ),
        ];
    }

    private static double Sharpe(List<double> returns)
    {
        var mean = returns.Average();
        var variance = returns.Sum(r => (r - mean) * (r - mean)) / Math.Max(1, returns.Count - 1);
        return variance <= 0 ? 0 : mean / Math.Sqrt(variance);
    }
}

public sealed record PolicyResult(
    string Policy,
    double TotalReturn,
    double Sharpe,
    double MaxDrawdown,
    double Turnover,
    double[] Equity
);

public sealed record ScenarioResult(
    string Scenario,
    MarketRegime? Regime,
    int Paths,
    int Bars,
    IReadOnlyDictionary<string, PolicyResult> Results
);
