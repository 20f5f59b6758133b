using System.Security.Cryptography;
using Inference.Streaming.Engine.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Inference.Streaming.Engine.Inference;

/// <summary>
/// Loads the seed's directory layout. Each model is loaded on its own: a missing, truncated,
/// unsupported or checksum-mismatched file is refused by name and the others still load.
/// </summary>
public sealed class ModelDirectoryLoader(
    TorchDevice device,
    TimeProvider time,
    Microsoft.Extensions.Options.IOptions<ModelOptions>? options = null
)
{
    private const string InputWeightKey = "feature_extractor.0.weight";
    private readonly long _maxFileBytes = options?.Value.MaxFileBytes ?? ModelOptions.DefaultMaxFileBytes;

    /// <summary>
    /// Loads every model of the directory. With <paramref name="inputWidth"/> (the stream's feature
    /// layout), a model that takes another width is refused by name: it could decide nothing.
    /// </summary>
    public ModelSet Load(string directory, long generation, int? inputWidth = null)
    {
        var models = new Dictionary<string, LoadedModel>(StringComparer.Ordinal);
        var errors = new List<ModelLoadError>();
        if (!System.IO.Directory.Exists(directory))
        {
            errors.Add(new ModelLoadError("*", directory, "model directory not found (Models:Directory / MODEL_DIR)"));
            return new ModelSet(generation, directory, models, errors);
        }

        foreach (var name in ModelNames.All)
        {
            var folder = ModelNames.FolderOf(directory, name);
            var path = FindCheckpoint(folder);
            try
            {
                var model = LoadOne(name, path ?? Path.Combine(folder, ModelNames.CheckpointFile), path is not null);
                if (inputWidth is { } width && model.Info.InputWidth != width)
                {
                    model.Dispose();
                    throw new ModelLoadException(
                        model.Info.Path,
                        $"takes {model.Info.InputWidth} inputs; the stream's feature layout "
                            + $"({ModelManifest.DefaultFeatureLayout}) has {width}"
                    );
                }

                models[name] = model;
            }
            catch (ModelLoadException ex)
            {
                errors.Add(new ModelLoadError(name, ex.Path, ex.Reason));
            }
            catch (Exception ex)
            {
                // Whatever one file does, the others still load and the process stays up.
                errors.Add(
                    new ModelLoadError(
                        name,
                        path ?? folder,
                        $"unexpected {ex.GetType().Name}: {LogText.Quote(ex.Message)}"
                    )
                );
            }
        }

        return new ModelSet(generation, directory, models, errors);
    }

    /// <summary>Loads one checkpoint file as model <paramref name="name"/>; throws
    /// <see cref="ModelLoadException"/>.</summary>
    public LoadedModel LoadOne(string name, string path, bool exists = true)
    {
        if (!exists || !File.Exists(path))
        {
            throw new ModelLoadException(path, "file not found");
        }

        CheckpointGuard.CheckSize(path, _maxFileBytes);
        var manifest = ModelManifest.TryRead(Path.GetDirectoryName(path)!);
        var sha256 = Sha256Of(path);
        if (
            manifest?.Sha256 is { Length: > 0 } expected
            && !string.Equals(expected, sha256, StringComparison.OrdinalIgnoreCase)
        )
        {
            throw new ModelLoadException(
                path,
                $"SHA-256 {sha256} does not match the manifest's {expected.ToLowerInvariant()}"
            );
        }

        var actionMap = manifest?.ActionMap ?? ModelManifest.DefaultActionMap;
        if (actionMap.Count != PolicyNetwork.Actions)
        {
            throw new ModelLoadException(
                path,
                $"the manifest's action_map has {actionMap.Count} entries; the policy has {PolicyNetwork.Actions} "
                    + "actions"
            );
        }

        var (stateDict, format) = CheckpointReader.Read(path, _maxFileBytes);
        try
        {
            if (!stateDict.TryGetValue(InputWeightKey, out var inputWeight) || inputWeight.dim() != 2)
            {
                throw new ModelLoadException(
                    path,
                    $"no 2-D '{InputWeightKey}': not the seed's actor-critic (keys: "
                        + $"{string.Join(", ", stateDict.Keys.Take(6))})"
                );
            }

            var network = new PolicyNetwork((int)inputWeight.shape[1]);
            try
            {
                CheckKeys(path, network, stateDict);
                CheckFinite(path, stateDict);
                using (no_grad())
                {
                    network.load_state_dict(stateDict, strict: true);
                }

                network.to(device.ComputeType).to(device.Device);
                network.eval();
                var info = new ModelInfo(
                    name,
                    Path.GetFileNameWithoutExtension(path),
                    Path.GetFullPath(path),
                    time.GetUtcNow(),
                    device.Name,
                    network.ParameterCount(),
                    sha256,
                    network.InputWidth,
                    format,
                    manifest?.FeatureLayout
                        ?? (
                            network.InputWidth == 43
                                ? ModelManifest.DefaultFeatureLayout
                                : $"width-{network.InputWidth}"
                        ),
                    actionMap
                );
                return new LoadedModel(info, network, device.Device, device.ComputeType);
            }
            catch
            {
                network.Dispose();
                throw;
            }
        }
        finally
        {
            foreach (var tensor in stateDict.Values)
            {
                tensor.Dispose();
            }
        }
    }

    public static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static string? FindCheckpoint(string folder)
    {
        foreach (var file in new[] { ModelNames.CheckpointFile, ModelNames.SafetensorsFile })
        {
            var path = Path.Combine(folder, file);
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }

    // A NaN or infinite weight makes every output NaN: refuse the file, naming the tensor.
    private static void CheckFinite(string path, Dictionary<string, Tensor> stateDict)
    {
        foreach (var (key, tensor) in stateDict.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (!tensor.is_floating_point())
            {
                continue;
            }

            using var scope = NewDisposeScope();
            using var finite = isfinite(tensor).all();
            if (!finite.item<bool>())
            {
                using var bad = logical_not(isfinite(tensor)).sum();
                throw new ModelLoadException(
                    path,
                    $"'{key}' holds {bad.item<long>()} non-finite values (NaN or infinity)"
                );
            }
        }
    }

    private static void CheckKeys(string path, PolicyNetwork network, Dictionary<string, Tensor> stateDict)
    {
        var expected = network.state_dict();
        var missing = expected.Keys.Where(k => !stateDict.ContainsKey(k)).ToList();
        var unexpected = stateDict.Keys.Where(k => !expected.ContainsKey(k)).ToList();
        var shapes = expected
            .Where(kv => stateDict.TryGetValue(kv.Key, out var t) && !t.shape.SequenceEqual(kv.Value.shape))
            .Select(kv =>
                $"{kv.Key} [{string.Join(',', stateDict[kv.Key].shape)}] vs [{string.Join(',', kv.Value.shape)}]"
            )
            .ToList();
        if (missing.Count + unexpected.Count + shapes.Count > 0)
        {
            throw new ModelLoadException(
                path,
                "state_dict does not match the seed's actor-critic:"
                    + (missing.Count > 0 ? " missing " + string.Join(", ", missing) + ";" : string.Empty)
                    + (unexpected.Count > 0 ? " unexpected " + string.Join(", ", unexpected) + ";" : string.Empty)
                    + (shapes.Count > 0 ? " shape " + string.Join(", ", shapes) : string.Empty)
            );
        }
    }
}
