using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Inference.Streaming.Engine.Regimes;

/// <summary>
/// Regime detectors by name. <c>rules</c> is built in; any other name is a parameter file in the
/// detector directory (<c>models/regimes/</c>), listed in its <c>manifest.json</c> with the file's
/// SHA-256, which is checked before the file is parsed: a file that does not match is refused by
/// name, as a model checkpoint is.
/// </summary>
public static class RegimeDetectorFiles
{
    public const string ManifestFile = "manifest.json";

    /// <summary>Parameter files are small (a few KiB); anything larger is refused before it is read.</summary>
    public const long MaxFileBytes = 1024 * 1024;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>The detector <paramref name="name"/> from <paramref name="directory"/>.</summary>
    /// <exception cref="RegimeDetectorLoadException">The detector is unknown, or its file is missing, altered or
    /// malformed.</exception>
    public static IRegimeDetector Load(string directory, string name)
    {
        if (string.Equals(name, RuleRegimeDetector.Name, StringComparison.Ordinal))
        {
            return RuleRegimeDetector.Instance;
        }

        var manifestPath = Path.Combine(directory, ManifestFile);
        JsonObject? entry;
        try
        {
            var manifest = JsonNode.Parse(ReadBounded(manifestPath))?.AsObject();
            entry = manifest
                ?["detectors"]?.AsArray()
                .OfType<JsonObject>()
                .FirstOrDefault(d => (string?)d["name"] == name);
        }
        catch (Exception ex)
            when (ex is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException)
        {
            throw new RegimeDetectorLoadException(name, $"{manifestPath}: {ex.Message}", ex);
        }

        if (entry is null)
        {
            throw new RegimeDetectorLoadException(
                name,
                $"'{name}' is neither '{RuleRegimeDetector.Name}' nor listed in {manifestPath}"
            );
        }

        var file = (string?)entry["file"];
        var expected = (string?)entry["sha256"];
        if (file is null || expected is null || Path.GetFileName(file) != file)
        {
            throw new RegimeDetectorLoadException(
                name,
                $"{manifestPath}: the entry needs a plain 'file' and a 'sha256'"
            );
        }

        return LoadFile(Path.Combine(directory, file), expected, name);
    }

    /// <summary>
    /// A parameter file on its own (the <c>detect</c> command's <c>--params</c>); with
    /// <paramref name="expectedSha256"/>, refused when its hash differs.
    /// </summary>
    public static GaussianRegimeDetector LoadFile(string path, string? expectedSha256 = null, string? name = null)
    {
        name ??= Path.GetFileNameWithoutExtension(path);
        byte[] bytes;
        try
        {
            bytes = ReadBounded(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new RegimeDetectorLoadException(name, $"{path}: {ex.Message}", ex);
        }

        var sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (expectedSha256 is not null && !string.Equals(sha256, expectedSha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new RegimeDetectorLoadException(
                name,
                $"{path}: SHA-256 {sha256} does not match the manifest's {expectedSha256}"
            );
        }

        try
        {
            var parameters =
                JsonSerializer.Deserialize<GaussianRegimeParameters>(bytes, Json)
                ?? throw new FormatException("the file is empty");
            return new GaussianRegimeDetector(parameters, sha256);
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            throw new RegimeDetectorLoadException(name, $"{path}: {ex.Message}", ex);
        }
    }

    /// <summary>Writes <paramref name="parameters"/> to <paramref name="directory"/> and records its SHA-256 in the
    /// manifest (other entries kept); returns the file's path and hash.</summary>
    public static (string Path, string Sha256) Write(string directory, GaussianRegimeParameters parameters)
    {
        Directory.CreateDirectory(directory);
        var file = parameters.Name + ".json";
        var bytes = JsonSerializer.SerializeToUtf8Bytes(parameters, Json);
        var path = Path.Combine(directory, file);
        File.WriteAllBytes(path, [.. bytes, (byte)'\n']);
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

        var manifestPath = Path.Combine(directory, ManifestFile);
        var manifest = File.Exists(manifestPath)
            ? JsonNode.Parse(File.ReadAllText(manifestPath))?.AsObject() ?? []
            : [];
        var entries = manifest["detectors"]?.AsArray() ?? [];
        var kept = entries.OfType<JsonObject>().Where(d => (string?)d["name"] != parameters.Name).ToList();
        var detectors = new JsonArray();
        foreach (var entry in kept)
        {
            detectors.Add(entry.DeepClone());
        }

        detectors.Add(
            new JsonObject
            {
                ["name"] = parameters.Name,
                ["version"] = parameters.Version,
                ["file"] = file,
                ["sha256"] = sha256,
            }
        );
        manifest["detectors"] = detectors;
        File.WriteAllText(manifestPath, manifest.ToJsonString(Json) + "\n");
        return (path, sha256);
    }

    private static byte[] ReadBounded(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"{path} does not exist");
        }

        return info.Length > MaxFileBytes
            ? throw new IOException($"{path} is {info.Length} bytes, over the {MaxFileBytes}-byte limit")
            : File.ReadAllBytes(path);
    }
}

/// <summary>A detector that cannot be used, named.</summary>
public sealed class RegimeDetectorLoadException(string detector, string reason, Exception? inner = null)
    : Exception($"regime detector '{detector}' refused: {reason}", inner)
{
    public string Detector { get; } = detector;
}
