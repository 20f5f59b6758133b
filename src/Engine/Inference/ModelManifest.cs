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
    public const string FileName = "manifest.json";

    public static readonly IReadOnlyList<string> DefaultActionMap = ["HOLD", "BUY", "SELL"];

    public const string DefaultFeatureLayout = "seed-43";

    /// <summary>Reads the manifest in <paramref name="directory"/>, or null when there is none.</summary>
    public static ModelManifest? TryRead(string directory)
    {
        var path = System.IO.Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            return null;
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
