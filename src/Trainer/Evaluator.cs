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
/// on the worker's paper portfolio. The worker's blends (<c>worker_argmax_*</c>, <c>worker_mixture_*</c>)
/// take their regime from a detector over closed bars, as the worker with <c>Regimes:Source Detector</c>
/// does (the bar just closed included), then the meta-controller weights and the selection rule; the
/// <c>_true_regime</c> variants take the simulator's hidden regime instead (certainty in the true one),
/// which separates the specialists' worth from the detector's.
/// </summary>
public sealed class Evaluator(ModelSet models, TrainerEngine engine, IReadOnlyList<IRegimeDetector>? detectors = null)
{
    public const string BuyAndHold = "buy_and_hold";
    public const string RandomPolicy = "random";
    public const string WorkerArgmax = "worker_argmax";
    public const string WorkerMixture = "worker_mixture";
    public const string TrueRegimeSuffix = "_true_regime";

    private readonly IReadOnlyList<IRegimeDetector> _detectors = detectors ?? [RuleRegimeDetector.Instance];

    /// <summary>The worker's blends: each selection with each detector, then with the true regime.</summary>
    public IReadOnlyList<Blend> Blends =>
        [
            .. _detectors.SelectMany(d =>
                new[]
                {
                    new Blend($"{WorkerArgmax}_{d.Info.Name}", SelectionStrategy.Argmax, d),
                    new Blend($"{WorkerMixture}_{d.Info.Name}", SelectionStrategy.Mixture, d),
                }
            ),
            new Blend(WorkerArgmax + TrueRegimeSuffix, SelectionStrategy.Argmax, null),
            new Blend(WorkerMixture + TrueRegimeSuffix, SelectionStrategy.Mixture, null),
        ];

    public IReadOnlyList<string> Policies =>
        [BuyAndHold, RandomPolicy, .. ModelNames.All.Where(models.Models.ContainsKey), .. Blends.Select(b => b.Name)];

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
        var blend = Blends.FirstOrDefault(b => b.Name == policy);
        var indicators = seeds.Select(_ => new Indicators()).ToArray();
        var regimes = seeds.Select(_ => RegimeState.Prior).ToArray();
        for (var i = 0; i < envs.Length && blend?.Detector is { } detector; i++)
        {
            var index = i;
            envs[i].BarClosed += bar =>
            {
                indicators[index].Add(bar);
                regimes[index] = detector.Detect(indicators[index], regimes[index]) ?? regimes[index];
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
            if (blend is { Detector: null })
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
                _ => Decide(policy, blend, observations, regimes),
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

    private TradeAction[] Decide(string policy, Blend? blend, float[][] observations, RegimeState[] regimes)
    {
        var plans = regimes
            .Select(r =>
                blend is not null ? engine.Rules.Route("SIM", r, blend.Selection).Plan : RowPlan.ForModel(policy)
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

/// <summary>One of the worker's blends: its selection, and the detector its regimes come from (null: the
/// simulator's true regime).</summary>
public sealed record Blend(string Name, SelectionStrategy Selection, IRegimeDetector? Detector);

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
