using System.Text.Json;
using System.Text.Json.Serialization;

namespace Inference.Streaming.Worker.Fleet;

/// <summary>
/// A record of the control topic (<c>{Kafka:GroupId}-control</c>), as JSON. A promotion carries the state it
/// leads to (the number of promotions: odd means the configured challenger is champion) under the key <c>roles</c>, so
/// compaction keeps what a starting instance needs and applying it twice changes nothing; a reload is an event under
/// the key <c>reload</c>, which an instance applies only when it hears it live (a starting one loads its files anyway).
/// </summary>
public sealed record ControlCommand(
    [property: JsonPropertyName("command")] string Command,
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("issued_by")] string IssuedBy,
    [property: JsonPropertyName("issued_at")] DateTimeOffset IssuedAt
)
{
    public const string Promote = "promote";
    public const string Reload = "reload";
    public const int CurrentVersion = 1;

    private static readonly JsonSerializerOptions Json = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    [JsonPropertyName("version")]
    public int Version { get; init; } = CurrentVersion;

    /// <summary>For <see cref="Promote"/>: the promotions the fleet's roles come to.</summary>
    [JsonPropertyName("promotions")]
    public int? Promotions { get; init; }

    /// <summary>The compaction key: the last promotion and the last reload are all a starting instance needs.</summary>
    [JsonIgnore]
    public string Key => Command == Promote ? "roles" : Command;

    public byte[] ToBytes() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    /// <summary>The command a record holds, or why it is not one this version applies.</summary>
    public static ControlCommand? Parse(byte[]? value, out string? problem)
    {
        ControlCommand? command = null;
        try
        {
            command = value is null ? null : JsonSerializer.Deserialize<ControlCommand>(value, Json);
        }
        catch (JsonException ex)
        {
            problem = "not a control command: " + ex.Message;
            return null;
        }

        problem = command switch
        {
            null => "an empty record",
            { Version: > CurrentVersion } => $"version {command.Version} (this worker applies up to {CurrentVersion})",
            { Command: Promote, Promotions: null or < 0 } => "a promotion without a promotions count",
            { Command: not (Promote or Reload) } => $"an unknown command '{command.Command}'",
            _ => null,
        };
        return problem is null ? command : null;
    }
}
