using Inference.Streaming.Engine.Backtesting;

namespace Inference.Streaming.Engine.UnitTests.Backtesting;

public sealed class BlockBootstrapTests
{
    [Fact]
    public void AClearlyBetterPolicyGetsAnIntervalAboveZeroAndAnEqualOneAnIntervalAroundIt()
    {
        var random = new Random(5);
        var noise = Enumerable.Range(0, 500).Select(_ => (random.NextDouble() - 0.5) * 0.02).ToArray();
        var better = noise.Select(r => r + 0.004).ToArray();
        var other = Enumerable.Range(0, 500).Select(_ => (random.NextDouble() - 0.5) * 0.02).ToArray();

        var clear = BlockBootstrap.SharpeDifference(better, noise, block: 20, samples: 1000, seed: 3);
        var same = BlockBootstrap.SharpeDifference(other, noise, block: 20, samples: 1000, seed: 3);

        Assert.Equal(BacktestPerformance.Sharpe(better) - BacktestPerformance.Sharpe(noise), clear.Estimate, 12);
        Assert.True(clear.Low > 0, $"[{clear.Low}, {clear.High}]");
        Assert.Equal(1.0, clear.ProbabilityBetter);
        Assert.True(same.Low < 0 && same.High > 0, $"[{same.Low}, {same.High}]");
        Assert.InRange(same.ProbabilityBetter, 0.05, 0.95);
        Assert.Equal(same, BlockBootstrap.SharpeDifference(other, noise, block: 20, samples: 1000, seed: 3));
    }

    [Fact]
    public void SeriesOfDifferentLengthsAreRefused() =>
        Assert.Throws<ArgumentException>(() => BlockBootstrap.SharpeDifference([0.1, 0.2], [0.1]));
}
