using Inference.Streaming.Contracts.Events;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Inference;
using TorchSharp;
using static TorchSharp.torch;

namespace Inference.Streaming.Trainer;

/// <summary>
/// Proximal policy optimisation (Schulman et al. 2017) of the seed's actor-critic: rollouts from
/// side-by-side environments, generalised advantage estimation, the clipped surrogate with value
/// and entropy terms, Adam, gradient-norm clipping. Every random draw comes from the seed:
/// libtorch's generator for the initial weights, a seeded <see cref="Random"/> for paths, actions
/// and minibatches, so a seed gives the same weights on a given machine and thread count.
/// </summary>
public sealed class PpoTrainer : IDisposable
{
    // libtorch's generator and thread count are process-wide: seeding and initialising take turns.
    private static readonly Lock SeedGate = new();
    private readonly PpoSettings _settings;
    private readonly Random _random;
    private readonly optim.Optimizer _optimizer;
    private readonly TradingEnvironment[] _environments;
    private readonly float[][] _observations;
    private readonly double[] _episodeRewards;
    private readonly Queue<double> _recentEpisodes = new();

    public PpoTrainer(PpoSettings settings, int seed, Func<TradingEnvironment> environment)
    {
        _settings = settings;
        lock (SeedGate)
        {
            torch.set_num_threads(settings.Threads);
            torch.manual_seed(seed);
            Network = new PolicyNetwork(Observation.Width);
        }

        _random = new Random(seed);
        _optimizer = optim.Adam(Network.parameters(), settings.LearningRate);
        _environments = [.. Enumerable.Range(0, settings.Environments).Select(_ => environment())];
        _observations = [.. _environments.Select(NewEpisode)];
        _episodeRewards = new double[_environments.Length];
    }

    public PolicyNetwork Network { get; }

    /// <summary>Mean total reward of the last 32 finished episodes (NaN before the first).</summary>
    public double RecentEpisodeReward => _recentEpisodes.Count == 0 ? double.NaN : _recentEpisodes.Average();

    /// <summary>Steps every environment <see cref="PpoSettings.Steps"/> times with the current policy (actions
    /// sampled).</summary>
    public Rollout Collect()
    {
        var (envs, steps, width) = (_environments.Length, _settings.Steps, Observation.Width);
        var rollout = new Rollout(envs * steps, width);
        var values = new float[(steps + 1) * envs];
        var rewards = new double[steps * envs];
        var dones = new bool[steps * envs];
        var batch = new float[envs * width];
        double rewardSum = 0,
            finished = 0;
        var episodes = 0;
        for (var t = 0; t <= steps; t++)
        {
            for (var e = 0; e < envs; e++)
            {
                _observations[e].CopyTo(batch, e * width);
            }

            var (probabilities, value) = Evaluate(batch, envs);
            for (var e = 0; e < envs; e++)
            {
                values[(t * envs) + e] = value[e];
            }

            if (t == steps)
            {
                break;
            }

            batch.CopyTo(rollout.Observations, t * envs * width);
            for (var e = 0; e < envs; e++)
            {
                var row = (t * envs) + e;
                var p = probabilities.AsSpan(e * PolicyNetwork.Actions, PolicyNetwork.Actions);
                var action = Sample(p);
                rollout.Actions[row] = action;
                rollout.LogProbabilities[row] = MathF.Log(MathF.Max(p[action], 1e-8f));
                var (next, reward, done, _) = _environments[e].Step((TradeAction)action);
                rewards[row] = reward;
                dones[row] = done;
                rewardSum += reward;
                _episodeRewards[e] += reward;
                if (done)
                {
                    finished += _episodeRewards[e];
                    _recentEpisodes.Enqueue(_episodeRewards[e]);
                    if (_recentEpisodes.Count > 32)
                    {
                        _recentEpisodes.Dequeue();
                    }

                    episodes++;
                    _episodeRewards[e] = 0;
                    next = NewEpisode(_environments[e]);
                }

                _observations[e] = next;
            }
        }

        // Generalised advantage estimation, backwards over each environment's steps.
        for (var e = 0; e < envs; e++)
        {
            double advantage = 0;
            for (var t = steps - 1; t >= 0; t--)
            {
                var row = (t * envs) + e;
                var nextValue = dones[row] ? 0.0 : values[((t + 1) * envs) + e];
                var delta = rewards[row] + (_settings.Gamma * nextValue) - values[row];
                advantage = delta + (dones[row] ? 0.0 : _settings.Gamma * _settings.GaeLambda * advantage);
                rollout.Advantages[row] = (float)advantage;
                rollout.Returns[row] = (float)(advantage + values[row]);
            }
        }

        rollout.MeanReward = rewardSum / rollout.Rows;
        rollout.Episodes = episodes;
        rollout.MeanEpisodeReward = episodes == 0 ? double.NaN : finished / episodes;
        return rollout;
    }

    /// <summary><see cref="PpoSettings.Epochs"/> passes over the rollout in shuffled minibatches.</summary>
    /// <returns>The mean loss of the last epoch.</returns>
    public double Update(Rollout rollout)
    {
        var order = Enumerable.Range(0, rollout.Rows).ToArray();
        double last = 0;
        for (var epoch = 0; epoch < _settings.Epochs; epoch++)
        {
            _random.Shuffle(order);
            double total = 0;
            var batches = 0;
            for (var start = 0; start < rollout.Rows; start += _settings.MinibatchSize)
            {
                var rows = order.AsSpan(start, Math.Min(_settings.MinibatchSize, rollout.Rows - start)).ToArray();
                using var scope = NewDisposeScope();
                var loss = Loss(rollout, rows);
                _optimizer.zero_grad();
                loss.backward();
                nn.utils.clip_grad_norm_(Network.parameters(), _settings.MaxGradNorm);
                _optimizer.step();
                total += loss.item<float>();
                batches++;
            }

            last = total / batches;
        }

        return last;
    }

    /// <summary>The PPO loss of the whole rollout under the current weights (no update).</summary>
    public double Loss(Rollout rollout)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return Loss(rollout, [.. Enumerable.Range(0, rollout.Rows)]).item<float>();
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        Network.Dispose();
    }

    // Clipped surrogate + value loss − entropy bonus, advantages normalised per minibatch.
    private Tensor Loss(Rollout rollout, int[] rows)
    {
        var width = rollout.Width;
        var observations = new float[rows.Length * width];
        var actions = new long[rows.Length];
        var oldLog = new float[rows.Length];
        var advantages = new float[rows.Length];
        var returns = new float[rows.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            var r = rows[i];
            rollout.Observations.AsSpan(r * width, width).CopyTo(observations.AsSpan(i * width));
            (actions[i], oldLog[i], advantages[i], returns[i]) = (
                rollout.Actions[r],
                rollout.LogProbabilities[r],
                rollout.Advantages[r],
                rollout.Returns[r]
            );
        }

        var (probabilities, value) = Network.call(tensor(observations, [rows.Length, width]));
        var advantage = tensor(advantages);
        advantage = (advantage - advantage.mean()) / (advantage.std() + 1e-8);
        var logProbabilities = probabilities.clamp_min(1e-8).log();
        var chosen = logProbabilities.gather(1, tensor(actions).unsqueeze(1)).squeeze(1);
        var ratio = (chosen - tensor(oldLog)).exp();
        var surrogate = torch.min(ratio * advantage, ratio.clamp(1 - _settings.Clip, 1 + _settings.Clip) * advantage);
        var policyLoss = -surrogate.mean();
        var valueLoss = nn.functional.mse_loss(value.squeeze(1), tensor(returns));
        var entropy = -(probabilities * logProbabilities).sum(1).mean();
        return policyLoss + (_settings.ValueCoefficient * valueLoss) - (_settings.EntropyCoefficient * entropy);
    }

    // Half the episodes start holding a position of up to the 25% position limit.
    private float[] NewEpisode(TradingEnvironment environment)
    {
        var seed = _random.Next();
        var position = _random.NextDouble() < 0.5 ? _random.NextDouble() * 0.25 : 0;
        return environment.Reset(seed, position);
    }

    private (float[] Probabilities, float[] Values) Evaluate(float[] batch, int rows)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (probabilities, value) = Network.call(tensor(batch, [rows, Observation.Width]));
        return (probabilities.data<float>().ToArray(), value.squeeze(1).data<float>().ToArray());
    }

    private int Sample(ReadOnlySpan<float> probabilities)
    {
        var u = _random.NextDouble();
        double cumulative = 0;
        for (var a = 0; a < probabilities.Length - 1; a++)
        {
            cumulative += probabilities[a];
            if (u < cumulative)
            {
                return a;
            }
        }

        return probabilities.Length - 1;
    }
}
