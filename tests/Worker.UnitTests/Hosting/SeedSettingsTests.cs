using Inference.Streaming.Worker.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Inference.Streaming.Worker.UnitTests.Hosting;

public sealed class SeedSettingsTests
{
    [Fact]
    public async Task EachSeedVariableThatIsSetGetsOneWarningNamingWhatToSetInstead()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(
                new Dictionary<string, string?>
                {
                    ["MOCK_DATA_SERVICE"] = "false",
                    ["REGIME_DETECTION_URL"] = "http://user:secret@regime-detection:8001",
                    ["MOCK_RISK_MANAGER"] = "true",
                    ["MODEL_DIR"] = "/app/models",
                }
            )
            .Build();
        var logger = new FakeLogger<SeedSettings>();

        await new SeedSettings(configuration, logger).StartAsync(CancellationToken.None);

        var warnings = logger.Collector.GetSnapshot();
        Assert.All(warnings, w => Assert.Equal(LogLevel.Warning, w.Level));
        Assert.Equal(3, warnings.Count);
        Assert.StartsWith(
            "MOCK_DATA_SERVICE is a setting of the seed service",
            warnings[0].Message,
            StringComparison.Ordinal
        );
        Assert.Contains("market-ticks", warnings[0].Message, StringComparison.Ordinal);
        Assert.StartsWith("MOCK_RISK_MANAGER", warnings[1].Message, StringComparison.Ordinal);
        Assert.Contains("Risk:Sectors:<SYMBOL>", warnings[1].Message, StringComparison.Ordinal);
        Assert.StartsWith("REGIME_DETECTION_URL", warnings[2].Message, StringComparison.Ordinal);
        Assert.Contains("regime-updates", warnings[2].Message, StringComparison.Ordinal);
        // A URL may carry credentials: values are never logged.
        Assert.DoesNotContain(warnings, w => w.Message.Contains("secret", StringComparison.Ordinal));
    }

    [Fact]
    public async Task NothingIsLoggedWithoutSeedVariables()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["MODEL_DIR"] = "models" })
            .Build();
        var logger = new FakeLogger<SeedSettings>();

        await new SeedSettings(configuration, logger).StartAsync(CancellationToken.None);

        Assert.Empty(logger.Collector.GetSnapshot());
    }

    [Fact]
    public void EveryVariableOfTheSeedReadmeIsCovered() =>
        Assert.Equal(
            [
                "MOCK_DATA_SERVICE",
                "MOCK_REGIME_DETECTION",
                "MOCK_META_CONTROLLER",
                "MOCK_RISK_MANAGER",
                "DATA_SERVICE_URL",
                "REGIME_DETECTION_URL",
                "META_CONTROLLER_URL",
                "RISK_MANAGER_URL",
            ],
            SeedSettings.Replaced.Select(r => r.Variable)
        );
}
