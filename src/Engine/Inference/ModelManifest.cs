using System.Text.Json;
using System.Text.Json.Serialization;

namespace Inference.Streaming.Engine.Inference;

/// <summary>Optional <c>manifest.json</c> beside a checkpoint.</summary>
public sealed record ModelManifest(
    [property: JsonPropertyName("sha256")] string? Sha256,
    [property: JsonPropertyName("feature_layout")] string? FeatureLayout,
    [property: JsonPropertyName("action_map")] IReadOnlyList<string>? ActionMap
)
{
    /// <summary>What a TorchScript module's first output is: <c>probabilities</c> (the default) or <c>logits</c>,
    /// which the worker turns into probabilities with a softmax.</summary>
    [JsonPropertyName("outputs")]
    public string? Outputs { get; init; }

    public const string FileName = "manifest.json";

    public static readonly IReadOnlyList<string> DefaultActionMap = ["HOLD", "BUY", "SELL"];

    public const string DefaultFeatureLayout = "seed-43";

    /// <summary>A manifest is a few hundred bytes; one larger than this is refused unread.</summary>
    public const long MaxBytes = 1024 * 1024;

    /// <summary>Reads the manifest in <paramref name="directory"/>, or null when there is none.</summary>
    public static ModelManifest? TryRead(string directory)
    {
        var path = System.IO.Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            return null;
        }

        // Not a FIFO or a device (they report 0 bytes and are never opened), and not a huge file.
        var length = CheckpointGuard.LengthOf(path);
        if (length is 0 or > MaxBytes)
        {
            throw new ModelLoadException(
                path,
                length == 0
                    ? "the manifest is empty (0 bytes), or not a regular file; it was not opened"
                    : $"the manifest is {length:N0} bytes, over {MaxBytes:N0}"
            );
        }

        try
        {
            return JsonSerializer.Deserialize<ModelManifest>(File.ReadAllText(path))
                ?? throw new ModelLoadException(path, "the manifest is empty");
        }
        catch (JsonException ex)
        {
            throw new ModelLoadException(path, "the manifest is not valid JSON: " + ex.Message, ex);
        }
    }
}
