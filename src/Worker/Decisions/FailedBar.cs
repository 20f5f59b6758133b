using System.Text.Json;
using System.Text.Json.Serialization;

namespace Inference.Streaming.Worker.Decisions;

/// <summary>The value of a <c>decision-failed</c> dead letter: the bar, why, and the features it would have been
/// decided from.</summary>
public sealed record FailedBar(
    [property: JsonPropertyName("symbol")] string Symbol,
    [property: JsonPropertyName("bar_start")] DateTimeOffset BarStart,
    [property: JsonPropertyName("bar_end")] DateTimeOffset BarEnd,
    [property: JsonPropertyName("failure")] string Failure,
    [property: JsonPropertyName("detail")] string Detail,
    [property: JsonPropertyName("features")] float[] Features
)
{
    public static readonly JsonSerializerOptions Json = new()
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}
