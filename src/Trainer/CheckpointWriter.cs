using System.Collections;
using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using Inference.Streaming.Engine.Features;
using Inference.Streaming.Engine.Inference;
using TorchSharp.PyBridge;

namespace Inference.Streaming.Trainer;

/// <summary>
/// Writes a trained network in the seed's checkpoint format: a <c>torch.save</c>-compatible zip
/// holding a dict with <c>policy_state_dict</c> (and the training settings), pickled by
/// TorchSharp.PyBridge, plus <c>manifest.json</c> with its SHA-256. The bytes depend only on the
/// weights and settings: string keys hash with a fixed function (.NET randomises string hashes
/// per process, which would reorder the pickled dicts) and zip entries get a fixed timestamp.
/// </summary>
public static class CheckpointWriter
{
    private static readonly DateTimeOffset EntryTime = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <returns>The checkpoint's SHA-256, lower-case hex.</returns>
    public static string Write(string directory, PolicyNetwork network, IReadOnlyDictionary<string, string> training)
    {
        Directory.CreateDirectory(directory);
        var policy = new Hashtable(StableKeys.Instance);
        foreach (var (name, tensor) in network.state_dict())
        {
            policy[name] = tensor.detach().cpu().contiguous();
        }

        var settings = new Hashtable(StableKeys.Instance);
        foreach (var (key, value) in training)
        {
            settings[key] = value;
        }

        var checkpoint = new Hashtable(StableKeys.Instance) { ["policy_state_dict"] = policy, ["training"] = settings };

        using var pickled = new MemoryStream();
        PyTorchPickler.PickleStateDict(pickled, checkpoint, leaveOpen: true);
        var path = Path.Combine(directory, ModelNames.CheckpointFile);
        using (var file = File.Create(path))
        {
            Normalise(pickled, file);
        }

        var sha = ModelDirectoryLoader.Sha256Of(path);
        var manifest = new JsonObject
        {
            ["sha256"] = sha,
            ["feature_layout"] = Observation.Layout,
            ["action_map"] = new JsonArray("HOLD", "BUY", "SELL"),
            ["training"] = new JsonObject([
                .. training.Select(t => KeyValuePair.Create(t.Key, (JsonNode?)JsonValue.Create(t.Value))),
            ]),
        };
        File.WriteAllText(
            Path.Combine(directory, ModelManifest.FileName),
            manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n"
        );
        return sha;
    }

    // Re-packs the archive with stored (uncompressed) entries, as torch.save writes them, and a fixed time.
    private static void Normalise(MemoryStream pickled, Stream target)
    {
        pickled.Position = 0;
        using var source = new ZipArchive(pickled, ZipArchiveMode.Read, leaveOpen: true);
        using var output = new ZipArchive(target, ZipArchiveMode.Create, leaveOpen: true);
        foreach (var entry in source.Entries)
        {
            var copy = output.CreateEntry(entry.FullName, CompressionLevel.NoCompression);
            copy.LastWriteTime = EntryTime;
            using var from = entry.Open();
            using var to = copy.Open();
            from.CopyTo(to);
        }
    }

    /// <summary>FNV-1a over the key's characters: the same on every run, unlike
    /// <see cref="string.GetHashCode()"/>.</summary>
    private sealed class StableKeys : IEqualityComparer
    {
        public static readonly StableKeys Instance = new();

        public new bool Equals(object? x, object? y) =>
            string.Equals(x as string, y as string, StringComparison.Ordinal);

        public int GetHashCode(object obj)
        {
            var hash = 2166136261u;
            foreach (var c in (string)obj)
            {
                hash = (hash ^ c) * 16777619u;
            }

            return (int)hash;
        }
    }
}
