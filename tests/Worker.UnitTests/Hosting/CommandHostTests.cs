using Inference.Streaming.Tools.Commands;

namespace Inference.Streaming.Worker.UnitTests.Hosting;

/// <summary>
/// The one-shot commands compose themselves like the worker (<see cref="CommandHost"/>): their
/// settings are validated before any work, and a bad one is a usage error naming it.
/// </summary>
public sealed class CommandHostTests
{
    [Fact]
    public async Task ReplayRefusesAnInvalidRiskSettingBeforeReadingAnything()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = await ToolCommands.RunAsync(
            ["replay", "--input", "/nonexistent/forensics.avro", "--Risk:PositionLimit", "-3"],
            stdout,
            stderr
        );

        Assert.Equal(ForensicsCommands.Usage, code);
        Assert.Contains("PositionLimit", stderr.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("nonexistent", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReplayRefusesAnInvalidModelsSetting()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = await ToolCommands.RunAsync(
            ["replay", "--input", "/nonexistent/forensics.avro", "--Models:MaxFileBytes", "12"],
            stdout,
            stderr
        );

        Assert.Equal(ForensicsCommands.Usage, code);
        Assert.Contains("Models:MaxFileBytes", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExportTakesTheForensicsTopicFromTheWorkersKafkaSettingsAndValidatesThem()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = await ToolCommands.RunAsync(
            [
                "export",
                "--jsonl",
                Path.Combine(Path.GetTempPath(), "never.jsonl"),
                "--bootstrap",
                "127.0.0.1:1",
                "--registry",
                "http://127.0.0.1:1",
                "--Kafka:Topics:DecisionForensics:Name",
                "trading-decisions",
            ],
            stdout,
            stderr
        );

        Assert.Equal(ForensicsCommands.Usage, code);
        Assert.Contains("is used by another topic", stderr.ToString(), StringComparison.Ordinal);
    }
}
