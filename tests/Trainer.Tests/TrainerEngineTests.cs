using Inference.Streaming.Engine.Simulation;

namespace Inference.Streaming.Trainer.Tests;

/// <summary>The trainer composes the engine from configuration, as the worker does.</summary>
public sealed class TrainerEngineTests
{
    [Fact]
    public void TheBarIntervalComesFromConfigurationAndShapesTheEnvironmentsBars()
    {
        using var minute = TrainerEngine.FromConfiguration([]);
        using var halfMinute = TrainerEngine.FromConfiguration(["--Features:BarInterval", "00:00:30"]);
        using var inline = TrainerEngine.FromConfiguration(["--Features:BarInterval=00:00:20"]);

        Assert.Equal(60_000, minute.BarMs);
        Assert.Equal(30_000, halfMinute.BarMs);
        Assert.Equal(20_000, inline.BarMs);
        var environment = new TradingEnvironment(MarketRegime.Bull, episodeBars: 5, rewardScale: 1, halfMinute);
        environment.Reset(seed: 3);
        Assert.Equal(30_000, environment.Bar.EndMs - environment.Bar.StartMs);
    }

    [Fact]
    public async Task AnInvalidSettingOrAMisspeltOptionIsAUsageErrorWithoutAStackTrace()
    {
        using var output = new StringWriter();

        var invalid = await TrainerCommands.RunAsync(["train", "--Features:BarInterval", "00:00:00"], output, output);
        var misspelt = await TrainerCommands.RunAsync(["train", "--updatse", "3"], output, output);
        var dangling = await TrainerCommands.RunAsync(["train", "--Features:BarInterval"], output, output);

        Assert.Equal(2, invalid);
        Assert.Equal(2, misspelt);
        Assert.Equal(2, dangling);
        Assert.Contains("Features:BarInterval must be between", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("'--updatse'", output.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output.ToString(), StringComparison.Ordinal);
    }
}
