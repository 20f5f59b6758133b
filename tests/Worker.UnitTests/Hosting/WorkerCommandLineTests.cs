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
        Skip.If(Environment.GetEnvironmentVariable("ASPNETCORE_URLS") is not null || Environment.GetEnvironmentVariable("URLS") is not null, "this environment sets a listen address");

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
    public void AnUnknownCommandIsAnError() =>
        Assert.Contains("frobnicate", Assert.Throws<ArgumentException>(() => WorkerCommandLine.Parse(["frobnicate"])).Message, StringComparison.Ordinal);
}
