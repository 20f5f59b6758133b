using Inference.Streaming.Worker.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Inference.Streaming.Worker.UnitTests.Diagnostics;

public sealed class TelemetryOptionsTests
{
    [Theory]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData("  ", null)]
    [InlineData("http://collector:4317", "http://collector:4317/")]
    [InlineData("https://otel.example.com/", "https://otel.example.com/")]
    public void AnAbsoluteHttpEndpointTurnsExportOnAndNoneLeavesItOff(string? configured, string? expected)
    {
        var options = TelemetryOptions.From(Configuration(configured));

        Assert.Equal(expected, options.Otlp.Endpoint?.ToString());
    }

    [Theory]
    [InlineData("collector:4317")]
    [InlineData("/v1/traces")]
    [InlineData("ftp://collector")]
    public void AnythingElseIsRefusedNamingTheKey(string configured)
    {
        var refused = Assert.Throws<OptionsValidationException>(() => TelemetryOptions.From(Configuration(configured)));

        Assert.Contains("Telemetry:Otlp:Endpoint", refused.Message, StringComparison.Ordinal);
    }

    private static IConfiguration Configuration(string? endpoint) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(endpoint is null ? [] : [new("Telemetry:Otlp:Endpoint", endpoint)])
            .Build();
}
