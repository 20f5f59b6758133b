using Inference.Streaming.Worker.Hosting;

namespace Inference.Streaming.Worker.UnitTests.Hosting;

public sealed class WorkerCommandLineTests
{
    [Fact]
    public void NoCommandRunsTheWorkerWithTheArgumentsAsConfiguration()
    {
        var (mode, args) = WorkerCommandLine.Parse(["--Kafka:GroupId", "g", "--urls", "http://127.0.0.1:0"]);

        Assert.Equal(WorkerMode.Worker, mode);
        Assert.Equal(["--Kafka:GroupId", "g", "--urls", "http://127.0.0.1:0"], args);
    }

    [SkippableFact]
    public void WithoutAnAddressTheWorkerListensOnPort8000()
    {
        Skip.If(
            Environment.GetEnvironmentVariable("ASPNETCORE_URLS") is not null
                || Environment.GetEnvironmentVariable("URLS") is not null,
            "this environment sets a listen address"
        );

        var (_, args) = WorkerCommandLine.Parse(["--Kafka:GroupId", "g"]);

        Assert.Equal(["--Kafka:GroupId", "g", "--urls", "http://127.0.0.1:8000"], args);
    }

    [Fact]
    public void BrokerKeepsAnExplicitUrl()
    {
        var (mode, args) = WorkerCommandLine.Parse(["broker", "--urls", "http://127.0.0.1:0"]);

        Assert.Equal(WorkerMode.Broker, mode);
        Assert.Equal(["--urls", "http://127.0.0.1:0"], args);
    }

    [Fact]
    public void RegimesRunsTheDetectorServiceOnItsOwnPortAndDetectIsATool()
    {
        var (mode, args) = WorkerCommandLine.Parse(["regimes", "--Regimes:Detector", "rules"]);
        Assert.Equal(WorkerMode.Regimes, mode);
        Assert.Equal(["--Regimes:Detector", "rules", "--urls", "http://127.0.0.1:8010"], args);

        var tool = Assert.Throws<WorkerCommandLine.UsageException>(() =>
            WorkerCommandLine.Parse(["detect", "--bars", "b.csv"])
        );
        Assert.Contains("dotnet run --project src/Tools -- detect --help", tool.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownCommandIsAnError() =>
        Assert.Contains(
            "frobnicate",
            Assert.Throws<WorkerCommandLine.UsageException>(() => WorkerCommandLine.Parse(["frobnicate"])).Message,
            StringComparison.Ordinal
        );

    [Theory]
    [InlineData("-x")]
    [InlineData("-v")]
    public void AShortFlagIsNotConfigurationAndIsAnError(string flag) =>
        Assert.Contains(
            flag,
            Assert
                .Throws<WorkerCommandLine.UsageException>(() => WorkerCommandLine.Parse(["--Kafka:GroupId", "g", flag]))
                .Message,
            StringComparison.Ordinal
        );

    [Fact]
    public void ATrailingKeyWithoutAValueIsAnError() =>
        Assert.Contains(
            "'--Inference:Selection' has no value",
            Assert
                .Throws<WorkerCommandLine.UsageException>(() =>
                    WorkerCommandLine.Parse(["--urls", "http://127.0.0.1:0", "--Inference:Selection"])
                )
                .Message,
            StringComparison.Ordinal
        );

    [Fact]
    public void ANegativeValueIsConfiguration()
    {
        var (mode, args) = WorkerCommandLine.Parse([
            "--Kafka:Topics:MarketTicks:Config:retention.ms",
            "-1",
            "--urls",
            "http://127.0.0.1:0",
        ]);

        Assert.Equal(WorkerMode.Worker, mode);
        Assert.Equal("-1", args[1]);
    }

    [Theory]
    [InlineData("help")]
    [InlineData("--help")]
    [InlineData("-h")]
    public void HelpAsksForTheUsage(string help) => Assert.Equal(WorkerMode.Help, WorkerCommandLine.Parse([help]).Mode);

    [Theory]
    [InlineData("broker", "--help")]
    [InlineData("regimes", "-h")]
    [InlineData("--Kafka:BootstrapServers", "h:9092", "--help")]
    public void HelpAfterACommandOrSettingsAsksForTheUsageToo(params string[] args) =>
        Assert.Equal(WorkerMode.Help, WorkerCommandLine.Parse(args).Mode);
}
