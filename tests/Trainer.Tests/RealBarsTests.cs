using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Engine.Regimes;
using Inference.Streaming.Engine.Simulation;
using Inference.Streaming.Tests;

namespace Inference.Streaming.Trainer.Tests;

/// <summary>Training and evaluation on the real BTC-USD daily bars.</summary>
public sealed class RealBarsTests : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("real-bars-").FullName;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    [Fact]
    public void TrainingSeesNoBarFromTheUntilDateOnAndASpecialistOnlyItsRegimesBars()
    {
        var until = new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var detector = RegimeDetectorFiles.Load(RepositoryRoot.RegimeDetectors, GaussianRegimeDetector.DefaultName);
        var market = RealBars.Market(RepositoryRoot.BtcDaily, until, detector);
        using var engine = TrainerEngine.FromConfiguration([]);

        Assert.Equal(1095, market.Bars.Count); // 2017, 2018 and 2019
        Assert.True(market.Bars[^1].EndMs <= until.ToUnixTimeMilliseconds());
        var environment = new TradingEnvironment(market, MarketRegime.Bear, 390, 100, engine);
        for (var episode = 0; episode < 20; episode++)
        {
            environment.Reset(episode);
            Assert.Equal(MarketRegime.Bear, environment.Regime);
            var done = false;
            while (!done)
            {
                var regime = environment.Regime;
                Assert.Equal(MarketRegime.Bear, regime);
                (_, _, done, _) = environment.Step(Contracts.Events.TradeAction.HOLD);
                Assert.True(environment.Bar.EndMs <= until.ToUnixTimeMilliseconds());
            }
        }
    }

    [Theory]
    [InlineData("--samples", "0")]
    [InlineData("--block", "0")]
    public async Task AnEmptyBootstrapIsAUsageError(string option, string value)
    {
        using var output = new StringWriter();
        var code = await TrainerCommands.RunAsync(
            ["evaluate", "--bars", RepositoryRoot.BtcDaily, "--from", "2021-01-01", option, value],
            output,
            output
        );

        Assert.Equal(2, code);
        Assert.Contains("--samples between 1", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WalkForwardTrainsBeforeEachFoldAndEvaluatesAfterItThroughTheBacktestLoop()
    {
        var output = Path.Combine(_scratch, "wf");
        using var stdout = new StringWriter();
        var code = await TrainerCommands.RunAsync(
            [
                "walk-forward",
                "--bars",
                RepositoryRoot.BtcDaily,
                "--folds",
                "2020-07-01,2021-01-01",
                "--output",
                output,
                "--regimes-dir",
                RepositoryRoot.RegimeDetectors,
                "--updates",
                "1",
                "--envs",
                "2",
                "--steps",
                "16",
            ],
            stdout,
            stdout
        );

        Assert.True(code == 0, stdout.ToString());
        var report = await File.ReadAllTextAsync(Path.Combine(output, "walk-forward.md"));
        Assert.Contains("## Fold 2020-07-01 to 2021-01-01", report, StringComparison.Ordinal);
        Assert.Contains("## Fold 2021-01-01 to the end", report, StringComparison.Ordinal);
        Assert.Contains("| worker_mixture_probabilistic |", report, StringComparison.Ordinal);
        Assert.Contains("| buy_and_hold | 549 |", report, StringComparison.Ordinal); // 184 + 365 bars pooled
        foreach (var fold in new[] { "fold-2020-07-01", "fold-2021-01-01" })
        {
            using var set = new ModelDirectoryLoader(
                new TorchDevice(Microsoft.Extensions.Options.Options.Create(new InferenceOptions { Device = "cpu" })),
                TimeProvider.System
            ).Load(Path.Combine(output, fold), 1);
            Assert.Empty(set.Errors);
            Assert.Equal(4, set.Models.Count);
            Assert.Contains("before " + fold[5..], set.Background!.Source, StringComparison.Ordinal);
        }
    }
}
