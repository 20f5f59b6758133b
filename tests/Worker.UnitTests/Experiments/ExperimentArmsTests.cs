using Inference.Streaming.Engine;
using Inference.Streaming.Engine.Inference;
using Inference.Streaming.Worker.Experiments;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.UnitTests.Experiments;

/// <summary>The A/B split is a sticky, seeded hash; the records' marks follow the mode; a bad experiment stops the
/// start with a clear message.</summary>
public sealed class ExperimentArmsTests
{
    private static readonly string[] Symbols = [.. Enumerable.Range(0, 2000).Select(i => $"S{i:D4}")];

    private static ExperimentArms Arms(ExperimentMode mode, string id = "exp-1", double share = 0.5) =>
        new(
            Options.Create(
                new ExperimentOptions
                {
                    Mode = mode,
                    Id = id,
                    ChallengerShare = share,
                }
            )
        );

    private static HashSet<string> Challengers(ExperimentArms arms) =>
        [.. Symbols.Where(s => arms.LiveArm(s) == ModelRole.Challenger)];

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public void TheSplitGivesTheChallengerItsShareOfSymbols(double share)
    {
        var challengers = Challengers(Arms(ExperimentMode.AB, share: share));

        // 2,000 symbols: the binomial standard deviation is at most 1.2 %; 5 % is four of them.
        Assert.InRange(challengers.Count / (double)Symbols.Length, share - 0.05, share + 0.05);
    }

    [Fact]
    public void TheSplitIsStickyAndARaisedShareOnlyMovesSymbolsToTheChallenger()
    {
        var smaller = Challengers(Arms(ExperimentMode.AB, share: 0.3));
        var again = Challengers(Arms(ExperimentMode.AB, share: 0.3));
        var larger = Challengers(Arms(ExperimentMode.AB, share: 0.6));

        Assert.Equal(smaller, again);
        Assert.Subset(larger, smaller);
        Assert.True(larger.Count > smaller.Count);
    }

    [Fact]
    public void ANewExperimentIdReshufflesTheSymbols()
    {
        var first = Challengers(Arms(ExperimentMode.AB, "exp-1"));
        var second = Challengers(Arms(ExperimentMode.AB, "exp-2"));

        // Independent halves overlap on about a quarter of the symbols, not all of them.
        Assert.InRange(first.Intersect(second).Count() / (double)Symbols.Length, 0.20, 0.30);
    }

    [Theory]
    [InlineData(0.0, 0)]
    [InlineData(1.0, 2000)]
    public void TheShareEndsAreAllOrNothing(double share, int expected) =>
        Assert.Equal(expected, Challengers(Arms(ExperimentMode.AB, share: share)).Count);

    [Theory]
    [InlineData(ExperimentMode.Off)]
    [InlineData(ExperimentMode.Shadow)]
    public void OutsideAbEverySymbolIsLiveOnTheChampion(ExperimentMode mode) =>
        Assert.Empty(Challengers(Arms(mode, share: 1.0)));

    [Fact]
    public void MarksFollowTheMode()
    {
        Assert.Null(Arms(ExperimentMode.Off).Mark(ModelRole.Challenger));
        // A shadow run's champion decisions stay exactly as without the experiment.
        Assert.Null(Arms(ExperimentMode.Shadow).Mark(ModelRole.Champion));
        var shadow = Arms(ExperimentMode.Shadow).Mark(ModelRole.Challenger)!;
        Assert.Equal(("exp-1", "challenger", "shadow"), (shadow.id, shadow.arm, shadow.mode));
        var ab = Arms(ExperimentMode.AB).Mark(ModelRole.Champion)!;
        Assert.Equal(("exp-1", "champion", "ab"), (ab.id, ab.arm, ab.mode));
    }

    [Theory]
    [InlineData("Shadow", null, "models-next", "needs Experiments:Id")]
    [InlineData("AB", "exp 1", "models-next", "Experiments:Id must be 1 to 64")]
    [InlineData("AB", "exp-1", null, "set Models:Challenger:Directory")]
    [InlineData("Shadow", "exp-1", "", "set Models:Challenger:Directory")]
    public void ABadExperimentStopsTheStartNamingTheSetting(
        string mode,
        string? id,
        string? challenger,
        string expected
    )
    {
        var error = Validate(
            new()
            {
                ["Experiments:Mode"] = mode,
                ["Experiments:Id"] = id,
                ["Models:Challenger:Directory"] = challenger,
            }
        );

        Assert.Contains(error.Failures, f => f.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void AShareOutsideZeroToOneIsRefused()
    {
        var error = Validate(new() { ["Experiments:ChallengerShare"] = "1.5" });

        Assert.Contains(
            error.Failures,
            f => f.Contains("ChallengerShare must be between 0 and 1", StringComparison.Ordinal)
        );
    }

    /// <summary>The worker's experiment and model options bound from <paramref name="settings"/> and validated as at
    /// start.</summary>
    private static OptionsValidationException Validate(Dictionary<string, string?> settings)
    {
        using var provider = new ServiceCollection()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build())
            .AddLogging()
            .AddModelLoading()
            .AddExperiments()
            .BuildServiceProvider();
        return Assert.Throws<OptionsValidationException>(provider.ValidateOptionsNow);
    }
}
